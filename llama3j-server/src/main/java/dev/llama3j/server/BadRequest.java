package dev.llama3j.server;

/** A client's mistake in a request: answered 400 with its message. */
final class BadRequest extends RuntimeException {
    BadRequest(String message) {
        super(message);
    }
}
