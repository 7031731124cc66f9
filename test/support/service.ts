import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_NODE_FLAGS } from '../../src/shared/runtime/node-flags.js';

export const ROOT_KEY = 'test-root-key-0123456789abcdefghijklmnop';

export interface ServiceOptions {
  dataDir?: string;
  env?: Record<string, string>;
}

/**
 * The built service as a child process on a temp data directory, exactly as a user starts it:
 * `node dist/main.js`. Its stdout and stderr are kept so tests can read the logs.
 */
export class Service {
  readonly dataDir: string;
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  url = '';
  /** Output of the current run of the process. */
  stdout = '';
  stderr = '';
  /** Output of every run so far. */
  allOutput = '';

  private constructor(private readonly options: ServiceOptions) {
    this.dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hookledger-e2e-'));
  }

  static async start(options: ServiceOptions = {}): Promise<Service> {
    const service = new Service(options);
    await service.startProcess();
    return service;
  }

  env(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      HOOKLEDGER_DATA_DIR: this.dataDir,
      HOOKLEDGER_ROOT_KEY: ROOT_KEY,
      HOOKLEDGER_ALLOW_INSECURE_URLS: 'true',
      HOOKLEDGER_ALLOWED_NETWORKS: '127.0.0.1/32',
      ...this.options.env,
    };
  }

  async startProcess(): Promise<void> {
    this.stdout = '';
    this.stderr = '';
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, 'dist/main.js'], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    this.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`service did not start:\n${this.stdout}\n${this.stderr}`)), 20_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        this.stdout += chunk.toString();
        this.allOutput += chunk.toString();
        const match = /"msg":"listening","url":"([^"]+)"/.exec(this.stdout);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        this.stderr += chunk.toString();
        this.allOutput += chunk.toString();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`service exited with ${code} before listening:\n${this.stdout}\n${this.stderr}`));
      });
    });
  }

  /** kill -9: no shutdown hook runs. */
  async crash(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<number | null> {
    this.child?.kill('SIGTERM');
    return this.exited;
  }

  async restart(): Promise<void> {
    await this.startProcess();
  }

  async dispose(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) await this.crash();
    if (!this.options.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  api(key: string = ROOT_KEY, headers: Record<string, string> = {}): Api {
    return new Api(() => this.url, key, headers);
  }
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A thin JSON client for the service's API. */
export class Api {
  constructor(
    /** Read at each request: a restarted service listens on a new port. */
    private readonly baseUrl: () => string,
    private readonly key: string | undefined,
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const response = await fetch(this.baseUrl() + path, {
      method,
      headers: {
        ...(this.key ? { authorization: `Bearer ${this.key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...this.extraHeaders,
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (metrics, docs): the text is the body.
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body: unknown = {}) {
    return this.request<T>('POST', path, body);
  }
  patch<T = any>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

export interface TenantKeys {
  tenantId: string;
  keys: Record<'admin' | 'operator' | 'auditor' | 'publisher', { id: string; key: string }>;
}

/** A tenant with one key of each role, made through the API with the root key. */
export async function createTenant(service: Service, name = 'acme'): Promise<TenantKeys> {
  const root = service.api();
  const tenant = await root.post('/v1/tenants', { name });
  if (tenant.status !== 201) throw new Error(`tenant: ${tenant.status} ${JSON.stringify(tenant.body)}`);
  const keys = {} as TenantKeys['keys'];
  for (const role of ['admin', 'operator', 'auditor', 'publisher'] as const) {
    const issued = await root.post('/v1/api-keys', { name: `${role}-key`, role, tenantId: tenant.body.id });
    if (issued.status !== 201) throw new Error(`key: ${issued.status} ${JSON.stringify(issued.body)}`);
    keys[role] = { id: issued.body.id, key: issued.body.key };
  }
  return { tenantId: tenant.body.id, keys };
}
