// Placeholder until the in-process tasks land (issue 2): the durable RunContext extends this.
export interface Context {
  readonly signal: AbortSignal;
}
