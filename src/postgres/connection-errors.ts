/**
 * Which driver errors mean "the database cannot be reached or used" (wrapped into a
 * StoreConnectionError naming the database) as opposed to a bad statement or a bug (passed through
 * unchanged). Sockets report a `code` (ECONNREFUSED, …), the server a SQLSTATE `code`; pg's own
 * connection-level failures are plain `Error`s with fixed texts and no code, so for those alone the
 * exact text is the only signal the driver gives.
 */

/** Socket, DNS and TLS codes of a connection that failed or dropped. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH",
  "EHOSTDOWN", "ENETUNREACH", "ENETDOWN", "EPIPE", "EPROTO",
  "DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * SQLSTATEs of a database that cannot be used: class 08 (connection exception), class 28 (invalid
 * authorization), 3D000 (no such database), 53300 (too many connections), 57P01–57P03 (shutting down,
 * crashed, not accepting connections yet).
 */
const SQLSTATE = /^(08...|28...|3D000|53300|57P0[123])$/;

/** pg 8 / pg-pool 3 errors raised when a connection cannot be made or is lost; they carry no code. */
const PG_CONNECTION_MESSAGES = new Set([
  "timeout expired",
  "Connection terminated",
  "Connection terminated unexpectedly",
  "Connection terminated due to connection timeout",
  "timeout exceeded when trying to connect",
  "Query read timeout",
  "Client has encountered a connection error and is not queryable",
  "Client was closed and is not queryable",
  "The server does not support SSL connections",
  "There was an error establishing an SSL connection",
]);

export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  if (typeof code === "string") {
    return NETWORK_CODES.has(code) || SQLSTATE.test(code) || syscall === "connect" || syscall === "getaddrinfo";
  }
  return PG_CONNECTION_MESSAGES.has(error.message);
}

/** SQLSTATEs of a session ended by the server: terminated by an administrator, or a crashed backend. */
const LOST_SQLSTATE = new Set(["57P01", "57P02"]);
/** Socket codes of an established connection that broke. */
const LOST_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);
/** pg's texts for a connection that was open and then ended under a query. */
const LOST_MESSAGES = new Set([
  "Connection terminated",
  "Connection terminated unexpectedly",
  "Client has encountered a connection error and is not queryable",
]);

/**
 * A connection error of a session that was open and then dropped (as opposed to a database that cannot
 * be reached or used): an idempotent call may be tried again on a new connection.
 */
export function isLostConnection(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as { code?: unknown };
  if (typeof code === "string") return LOST_SQLSTATE.has(code) || LOST_CODES.has(code);
  return LOST_MESSAGES.has(error.message);
}
