package dev.llama3j.download;

import dev.llama3j.LlamaException;

/** A server answered with a status that retrying will not change (a 4xx other than 408 and 429). */
public final class HttpStatusException extends LlamaException {
    private final int status;
    private final String errorCode;
    private final String origin;

    HttpStatusException(int status, String errorCode, String what, String origin) {
        super(what + ": HTTP " + status + (errorCode == null ? "" : " (" + errorCode + ")"));
        this.status = status;
        this.errorCode = errorCode;
        this.origin = origin;
    }

    /** The origin (scheme://host:port) that answered: the hub itself, or a CDN it redirected to. */
    public String origin() {
        return origin;
    }

    public int status() {
        return status;
    }

    /** The hub's {@code X-Error-Code} header ({@code GatedRepo}, {@code RepoNotFound}, ...), or null. */
    public String errorCode() {
        return errorCode;
    }
}
