import type { z } from 'zod';

/**
 * A request the renderer (or CLI) can make: a runtime schema for its argument, and its result
 * type carried as a phantom so the handler, the preload and the web transport all agree.
 */
export interface RequestDef<Args extends z.ZodType, Result> {
  readonly args: Args;
  /** Type only: never set or read at run time. */
  readonly result: Result;
}

export function request<Args extends z.ZodType>(args: Args) {
  return {
    returns<Result>(): RequestDef<Args, Result> {
      return { args } as RequestDef<Args, Result>;
    },
  };
}

export type AnyRequestDef = RequestDef<z.ZodType, unknown>;
