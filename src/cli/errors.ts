/** Errors the CLI reports as a one-line message (no stack trace) and a non-zero exit code. */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: number;

  constructor(message: string, options?: { readonly cause?: unknown; readonly exitCode?: number }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.exitCode = options?.exitCode ?? 1;
  }
}
