import { Module } from '@nestjs/common';
import { MetricsService } from './metrics.service.js';
import { OperationsHttpController } from './operations.http.controller.js';

@Module({
  controllers: [OperationsHttpController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class OperationsModule {}
