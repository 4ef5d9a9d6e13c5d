/** Whether this window can reach the backend (the web host's socket; Electron never loses it). */
export const connection = $state({ lost: false });
