package dev.llama3j.download;

import dev.llama3j.LlamaException;

/** A server answered with a status that retrying will not change (a 4xx other than 408 and 429). */
public final class HttpStatusException extends LlamaException {
    private final int status;
    private final String errorCode;

    HttpStatusException(int status, String errorCode, String what) {
        super(what + ": HTTP " + status + (errorCode == null ? "" : " (" + errorCode + ")"));
        this.status = status;
        this.errorCode = errorCode;
    }

    public int status() {
        return status;
    }

    /** The hub's {@code X-Error-Code} header ({@code GatedRepo}, {@code RepoNotFound}, ...), or null. */
    public String errorCode() {
        return errorCode;
    }
}
