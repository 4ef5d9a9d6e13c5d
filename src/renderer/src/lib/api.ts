import { createApi } from './transport';

/** The one connection to the backend for this window. */
export const api = createApi();
