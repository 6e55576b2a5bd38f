/** A task awaited itself (directly or through other tasks) with the same input. */
export class TaskCycleError extends Error {
  override readonly name = "TaskCycleError";
  /** The cycle, first and last element equal, e.g. `["a(1)", "b(1)", "a(1)"]`. */
  readonly path: readonly string[];

  constructor(path: readonly string[]) {
    super(`task cycle: ${path.join(" -> ")}`);
    this.path = path;
  }
}
