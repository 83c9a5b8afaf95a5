package io.bridge;

/**
 * The body of every error answer: {@code {"status": 404, "error": "not_found", "message": "..."}}.
 * {@code error} is a stable code for scripts; {@code message} says what to change, for people.
 */
public record Problem(int status, String error, String message) {
}
