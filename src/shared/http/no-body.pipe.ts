import { Body, PipeTransform } from '@nestjs/common';
import { ValidationProblem } from './problem.filter.js';

/** Routes that act without input refuse one: a body sent to them is a mistake, not something to ignore. */
class NoBodyPipe implements PipeTransform {
  transform(value: unknown): undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const fields = Object.keys(value);
      if (fields.length === 0) return undefined;
      throw new ValidationProblem(fields.map((field) => ({ field, messages: [`property ${field} should not exist: this route takes no body`] })));
    }
    throw new ValidationProblem([{ field: 'body', messages: ['this route takes no body'] }]);
  }
}

export const NoBody = () => Body(new NoBodyPipe());
