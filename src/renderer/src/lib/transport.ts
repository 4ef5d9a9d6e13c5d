import type { AnnotationConflict } from '../../../shared/contract/annotations';
import type {
  ArgsOf,
  ErrorInfo,
  EventMap,
  EventName,
  FrameUrlOptions,
  MerApi,
  Reply,
  RequestName,
  ResultOf,
} from '../../../shared/contract';
import { connection } from './connection.svelte';

/** What the Electron preload exposes (see src/preload/index.ts). */
interface Bridge {
  request(name: RequestName, args: unknown): Promise<Reply<unknown>>;
  on(event: EventName, listener: (payload: unknown) => void): () => void;
  frameUrl(clipId: string, index: number, options?: FrameUrlOptions): string;
  chooseFolder(): Promise<string | null>;
  chooseAnnotationFile(): Promise<string | null>;
}

/** An error from the backend, with the contract's error code (and a conflict's details). */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly code: ErrorInfo['code'],
    readonly conflict?: AnnotationConflict,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** The backend could not be asked (the web host's socket is closed): try again once it is back. */
export class ConnectionLostError extends RequestError {
  constructor(message: string) {
    super(message, 'failed');
    this.name = 'ConnectionLostError';
  }
}

function unwrap<T>(reply: Reply<T>): T {
  if (reply.ok) return reply.result;
  throw new RequestError(reply.error.message, reply.error.code, reply.error.conflict);
}

/** The contract in Electron (preload bridge) or in a browser (the web host's socket). */
export function createApi(): MerApi {
  const bridge = (window as unknown as { merBridge?: Bridge }).merBridge;
  return bridge ? electronApi(bridge) : webApi();
}

function electronApi(bridge: Bridge): MerApi {
  return {
    request: async (name, args) => unwrap(await bridge.request(name, args)) as never,
    on: (event, listener) => bridge.on(event, listener as (payload: unknown) => void),
    frameUrl: (clipId, index, options) => bridge.frameUrl(clipId, index, options),
    chooseFolder: () => bridge.chooseFolder(),
    chooseAnnotationFile: () => bridge.chooseAnnotationFile(),
  };
}

const RECONNECT_DELAY_MS = 2000;

function webApi(): MerApi {
  const token = takeToken();
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  /** What a request still waiting gets when the socket closes (its outcome is unknown). */
  const CLOSED = {
    ok: false,
    error: { code: 'failed', message: 'the backend closed the connection' },
  } as const;
  const pending = new Map<number, (reply: Reply<unknown>) => void>();
  let nextId = 1;
  let socket: Promise<WebSocket> | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  /** While the backend is away, try again every few seconds so the window knows when it is back. */
  const retrySoon = (): void => {
    connection.lost = true;
    retryTimer ??= setTimeout(() => {
      retryTimer = null;
      connect().catch(() => undefined); // a failed attempt closes, and closing retries
    }, RECONNECT_DELAY_MS);
  };

  const connect = (): Promise<WebSocket> => {
    socket ??= new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${location.host}/ws?token=${encodeURIComponent(token)}`);
      ws.onopen = () => {
        connection.lost = false;
        resolve(ws);
      };
      ws.onerror = () => reject(new ConnectionLostError('cannot reach the MER Studio backend'));
      ws.onclose = () => {
        socket = null;
        for (const settle of pending.values()) settle(CLOSED);
        pending.clear();
        retrySoon();
      };
      ws.onmessage = (message) => {
        const data = JSON.parse(String(message.data)) as
          { id: number; reply: Reply<unknown> } | { event: EventName; payload: never };
        if ('event' in data) {
          listeners.get(data.event)?.forEach((listener) => listener(data.payload));
        } else {
          pending.get(data.id)?.(data.reply);
          pending.delete(data.id);
        }
      };
    });
    return socket;
  };

  return {
    async request<N extends RequestName>(name: N, args: ArgsOf<N>): Promise<ResultOf<N>> {
      const ws = await connect();
      const id = nextId++;
      const reply = new Promise<Reply<unknown>>((resolve) => pending.set(id, resolve));
      ws.send(JSON.stringify({ id, name, args }));
      const answer = await reply;
      if (answer === CLOSED) throw new ConnectionLostError(CLOSED.error.message);
      return unwrap(answer) as ResultOf<N>;
    },
    on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void) {
      void connect();
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (payload: never) => void);
      listeners.set(event, set);
      return () => set.delete(listener as (payload: never) => void);
    },
    frameUrl(clipId, index, options = {}) {
      const query = new URLSearchParams({ token });
      if (options.maxSide) query.set('maxSide', String(options.maxSide));
      if (options.grey) query.set('grey', '1');
      if (options.dataset) query.set('dataset', options.dataset);
      return `/frames/${encodeURIComponent(clipId)}/${index}?${query}`;
    },
  };
}

/** The token comes in the URL the host printed; keep it for this tab and hide it from the bar. */
function takeToken(): string {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem('mer-token', fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.toString());
  }
  return fromUrl ?? sessionStorage.getItem('mer-token') ?? '';
}
