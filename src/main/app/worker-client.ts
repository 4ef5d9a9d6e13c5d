import type { Worker } from 'node:worker_threads';

/** The first message a request worker posts: what it loaded, or why it could not. */
export type WorkerReadyMessage<Info> = ({ ready: true } & Info) | { ready: false; error: string };

/** Every reply carries the id of its request. */
export interface WorkerReply {
  id: number;
}

/**
 * The main-thread side of a worker that loads something once, then answers requests: numbers the
 * requests, matches the replies, and fails every waiting request (and later ones) when the worker
 * dies. An idle worker does not keep the process alive.
 */
export class WorkerClient<Info, Reply extends WorkerReply> {
  private readonly pending = new Map<number, (reply: Reply | Error) => void>();
  private nextId = 1;
  private failure: Error | null = null;
  private rejectReady: (error: Error) => void = () => {};
  /** Resolves with the worker's ready message once it has loaded. */
  readonly ready: Promise<Info>;

  constructor(
    private readonly worker: Worker,
    private readonly label: string,
  ) {
    this.ready = new Promise<Info>((resolve, reject) => {
      this.rejectReady = reject;
      this.worker.once('message', (message: WorkerReadyMessage<Info>) => {
        this.updateRef();
        if (!message.ready) {
          reject(new Error(message.error));
          return;
        }
        resolve(message);
        this.worker.on('message', (reply: Reply) => this.settle(reply));
      });
    });
    this.ready.catch((error: Error) => this.fail(error));
    this.worker.on('error', (error) => this.fail(new Error(`${label}: ${error.message}`)));
    this.worker.on('exit', (code) => this.fail(new Error(`${label} exited (${code})`)));
  }

  /** False once the worker failed, exited or was closed. */
  get alive(): boolean {
    return this.failure === null;
  }

  /** Posts the request made for a fresh id (transferring `transfer`) and waits for its reply. */
  async request(build: (id: number) => object, transfer: ArrayBuffer[] = []): Promise<Reply> {
    await this.ready;
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const reply = await new Promise<Reply | Error>((resolve) => {
      this.pending.set(id, resolve);
      this.updateRef();
      this.worker.postMessage(build(id), transfer);
    });
    if (reply instanceof Error) throw reply;
    return reply;
  }

  async close(): Promise<void> {
    this.failure ??= new Error(`${this.label} closed`);
    await this.worker.terminate();
  }

  private settle(reply: Reply): void {
    const resolve = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    this.updateRef();
    resolve?.(reply);
  }

  /** Keeps the process alive only while the worker loads or a request is in flight. */
  private updateRef(): void {
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.rejectReady(this.failure);
    for (const resolve of this.pending.values()) resolve(this.failure);
    this.pending.clear();
  }
}
