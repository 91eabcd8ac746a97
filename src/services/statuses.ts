// The states of an explanation job; a study's state uses the same names.
export const STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type Status = (typeof STATUSES)[number];
export const TERMINAL: readonly Status[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
export const ACTIVE: readonly Status[] = ['QUEUED', 'RUNNING'];

export const isTerminal = (status: string): boolean => TERMINAL.includes(status as Status);
