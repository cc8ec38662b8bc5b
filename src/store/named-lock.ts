/** Runs `fn` while holding the cross-process lock `name`; one strategy per dialect. */
export type RunWithNamedLock = <T>(name: string, fn: () => Promise<T>) => Promise<T>;
