import type { Page } from 'playwright-core';

/**
 * Sits between a page and the web host's socket (set up before the page opens the app): the
 * answers to one kind of request can be held back (a slow disk or host) or requests refused
 * (a failing disk), the rest passes untouched.
 */
export interface BackendRoute {
  /** Holds the answers to `name` until `release`. */
  hold(name: string): void;
  /** Sends the answers held back, in order, and stops holding. */
  release(): void;
  /** How many answers are held back now. */
  held(): number;
  /** Answers `name` with a failure, without asking the host, until `refuse(null)`. */
  refuse(name: string | null, message?: string): void;
}

interface Message {
  id?: number;
  name?: string;
}

export async function routeBackend(page: Page): Promise<BackendRoute> {
  let holding: string | null = null;
  let refusing: { name: string; message: string } | null = null;
  const heldBack: (() => void)[] = [];
  await page.routeWebSocket(/\/ws\?/, (socket) => {
    const host = socket.connectToServer();
    const names = new Map<number, string>();
    socket.onMessage((message) => {
      const request = JSON.parse(String(message)) as Message;
      if (request.id === undefined || request.name === undefined) return host.send(message);
      if (refusing?.name === request.name) {
        const error = { code: 'failed', message: refusing.message };
        return socket.send(JSON.stringify({ id: request.id, reply: { ok: false, error } }));
      }
      names.set(request.id, request.name);
      host.send(message);
    });
    host.onMessage((message) => {
      const answer = JSON.parse(String(message)) as Message;
      const name = answer.id === undefined ? undefined : names.get(answer.id);
      if (name !== undefined && name === holding) heldBack.push(() => socket.send(message));
      else socket.send(message);
    });
  });
  return {
    hold: (name) => void (holding = name),
    release() {
      holding = null;
      for (const send of heldBack.splice(0)) send();
    },
    held: () => heldBack.length,
    refuse: (name, message = 'refused by the test') =>
      void (refusing = name === null ? null : { name, message }),
  };
}
