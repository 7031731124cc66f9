import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express, Request, Response } from 'express';
import { IncomingMessage, type Server, ServerResponse } from 'node:http';
import { type AddressInfo, Socket } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { PrototypedExpressAdapter, withPrototype } from './express-adapter.js';

describe('withPrototype', () => {
  it("constructs the base's instances, initialised by it, with the given prototype", () => {
    function Base(this: { value: number }, value: number) {
      this.value = value;
    }
    const BaseClass = Base as unknown as new (value: number) => { value: number };
    const prototype = Object.create(BaseClass.prototype, {
      doubled: {
        get(this: { value: number }) {
          return this.value * 2;
        },
      },
    }) as object;
    const Constructed = withPrototype(BaseClass, prototype);
    const made = new Constructed(21);
    expect(Object.getPrototypeOf(made)).toBe(prototype);
    expect(made).toBeInstanceOf(BaseClass);
    expect((made as unknown as { doubled: number }).doubled).toBe(42);
  });

  it('makes a real IncomingMessage, readable as one', () => {
    const Constructed = withPrototype(IncomingMessage, Object.create(IncomingMessage.prototype) as object);
    const made = new Constructed(new Socket());
    expect(made).toBeInstanceOf(IncomingMessage);
    expect(made.headers).toEqual({});
    expect(made.readable).toBe(true);
  });

  it('refuses a prototype that does not inherit from the base, and a class it cannot call', () => {
    expect(() => withPrototype(IncomingMessage, {})).toThrow(TypeError);
    class Base {}
    expect(() => withPrototype(Base, Object.create(Base.prototype) as object)).toThrow(/class/);
  });
});

describe('PrototypedExpressAdapter', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  });

  /** Serves one Express route; records, before Express sees them, whether request and response already have the app's prototypes. */
  async function serve(adapter: ExpressAdapter) {
    adapter.initHttpServer({});
    const app = adapter.getInstance<Express>();
    const server = adapter.getHttpServer() as Server;
    servers.push(server);
    const arrived: boolean[] = [];
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      arrived.push(Object.getPrototypeOf(req) === app.request && Object.getPrototypeOf(res) === app.response);
    });
    app.get('/echo', (req: Request, res: Response) => {
      res.json({ header: req.header('x-probe'), incoming: req instanceof IncomingMessage, outgoing: res instanceof ServerResponse });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const response = await request(`http://127.0.0.1:${port}/echo`, { headers: { 'x-probe': 'yes' } });
    return { arrived, status: response.statusCode, body: await response.body.json() };
  }

  it('has Node create requests and responses with the Express prototypes, so Express changes none', async () => {
    const { arrived, status, body } = await serve(new PrototypedExpressAdapter());
    expect(arrived).toEqual([true]);
    expect(status).toBe(200);
    expect(body).toEqual({ header: 'yes', incoming: true, outgoing: true });
  });

  it('differs from the stock adapter, whose requests get their prototypes from Express', async () => {
    const { arrived, body } = await serve(new ExpressAdapter());
    expect(arrived).toEqual([false]);
    expect(body).toEqual({ header: 'yes', incoming: true, outgoing: true });
  });
});
