/**
 * The stop signals of the commands that serve until stopped (`ect witness serve`,
 * `ect explore`).
 * @module
 */

/**
 * Listens for SIGINT and SIGTERM from now on: `received` resolves to the first one. Installed
 * before the URL is printed, so a signal sent as soon as it appears stops the server cleanly
 * instead of killing the process; `dispose` removes the listeners.
 */
export function listenForSignals(): { received: Promise<string>; dispose(): void } {
  let stop: (signal: string) => void = () => undefined;
  const received = new Promise<string>((resolve) => {
    stop = (signal: string): void => resolve(signal);
  });
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return {
    received,
    dispose: (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
