package io.bridge;

/** A request the bridge refuses, with the HTTP status and a message that says what to fix. */
public class ApiProblem extends RuntimeException {

    private final int status;
    private final String error;

    public ApiProblem(int status, String error, String message) {
        super(message, null, false, false);
        this.status = status;
        this.error = error;
    }

    public int getStatus() {
        return status;
    }

    public Problem getErrorBody() {
        return new Problem(status, error, getMessage());
    }
}
