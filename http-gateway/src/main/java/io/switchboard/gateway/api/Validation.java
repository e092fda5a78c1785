package io.switchboard.gateway.api;

import java.util.regex.Pattern;

/** Field checks of the API, with the configured limits: each failure is a 400 naming the field. */
public final class Validation {
  private final int maxIdLength;
  private final int maxTextLength;

  public Validation(int maxIdLength, int maxTextLength) {
    this.maxIdLength = maxIdLength;
    this.maxTextLength = maxTextLength;
  }

  /** Names of tenants, teams, agents: lower-case letters, digits, '-', '_' and '.'. */
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
  /** Tenants: part of their API keys ({@code sb_<tenant>.…}), so no '.' or '_'. */
  private static final Pattern TENANT = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  /** Contact field names, as routing rules name them ({@code email}, {@code customerType}, {@code crm.id}). */
  private static final Pattern FIELD = Pattern.compile("[A-Za-z][A-Za-z0-9._-]{0,63}");
  /** Channels: a lower-case word such as whatsapp, sms, webchat. */
  private static final Pattern CHANNEL = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

  public String required(String field, String value) {
    if (value == null || value.isBlank()) throw ApiException.badRequest("invalid_request", field + " is required");
    return value;
  }

  public String name(String field, String value) {
    required(field, value);
    if (value.length() > maxIdLength || !NAME.matcher(value).matches()) {
      throw ApiException.badRequest("invalid_request", field + " must be 1-" + maxIdLength
          + " characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit: '" + clip(value) + "'");
    }
    return value;
  }

  public String tenant(String value) {
    required("tenant", value);
    if (!TENANT.matcher(value).matches()) {
      throw ApiException.badRequest("invalid_request", "a tenant is named with 1-63 characters of a-z, 0-9 or '-', "
          + "starting with a letter or digit: '" + clip(value) + "'");
    }
    return value;
  }

  public String fieldName(String field, String value) {
    required(field, value);
    if (!FIELD.matcher(value).matches()) {
      throw ApiException.badRequest("invalid_request", field + " must be 1-64 characters of letters, digits, '.', '_' "
          + "or '-', starting with a letter: '" + clip(value) + "'");
    }
    return value;
  }

  public String channel(String field, String value) {
    required(field, value);
    if (!CHANNEL.matcher(value).matches()) {
      throw ApiException.badRequest("invalid_request", field + " must be a lower-case word of up to 32 characters: '"
          + clip(value) + "'");
    }
    return value;
  }

  /** An identifier coming from outside (contact, message id): printable, no '/', bounded. */
  public String id(String field, String value) {
    required(field, value);
    if (value.length() > maxIdLength) {
      throw ApiException.badRequest("field_too_long", field + " is longer than " + maxIdLength + " characters");
    }
    for (int i = 0; i < value.length(); i++) {
      char ch = value.charAt(i);
      if (ch < 0x21 || ch == 0x7f || ch == '/') {
        throw ApiException.badRequest("invalid_request", field + " must not contain spaces, control characters or '/'");
      }
    }
    return value;
  }

  public String text(String field, String value) {
    if (value != null && value.length() > maxTextLength) {
      throw ApiException.badRequest("field_too_long", field + " is longer than " + maxTextLength + " characters");
    }
    return value;
  }

  public int range(String field, int value, int min, int max) {
    if (value < min || value > max) {
      throw ApiException.badRequest("invalid_request", field + " must be between " + min + " and " + max + ": " + value);
    }
    return value;
  }

  private static String clip(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "…" : s;
  }
}
