package io.switchboard.gateway.api;

/** Every refusal of the API: a stable machine-readable {@code error} code and a message a person can act on. */
public record ApiError(String error, String message) {}
