package io.switchboard.gateway.api;

import io.switchboard.Storable;
import io.switchboard.Text;
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

  /**
   * An identifier coming from outside (contact, message id, key id): at most {@code max-id-length}
   * UTF-16 units, no space, no control character (C0, DEL, C1), no '/', no lone surrogate; any other
   * Unicode (non-Latin letters, emoji) is kept as sent.
   */
  public String id(String field, String value) {
    required(field, value);
    if (value.length() > maxIdLength) {
      throw ApiException.badRequest("field_too_long", field + " is longer than " + maxIdLength + " characters");
    }
    for (int i = 0; i < value.length(); i++) {
      char ch = value.charAt(i);
      if (ch < 0x21 || (ch >= 0x7f && ch <= 0x9f) || ch == '/') {
        throw ApiException.badRequest("invalid_request", field + " must not contain spaces, control characters or '/': "
            + describe(ch) + " at index " + i);
      }
    }
    storable(field, value);
    return value;
  }

  /** Free text: at most {@code max-text-length} UTF-16 units, no NUL, no lone surrogate. */
  public String text(String field, String value) {
    if (value != null && value.length() > maxTextLength) {
      throw ApiException.badRequest("field_too_long", field + " is longer than " + maxTextLength + " characters");
    }
    storable(field, value);
    return value;
  }

  /** 400 when {@code value} cannot be stored (see {@link Storable}): {@code contact: lone UTF-16 surrogate at index 3}. */
  public String storable(String field, String value) {
    String problem = Storable.problem(value);
    if (problem != null) throw ApiException.badRequest("invalid_request", field + ": " + problem);
    return value;
  }

  /**
   * Every string of a request body, wherever it is: storable, values at most {@code max-text-length}
   * and map keys at most {@code max-id-length} UTF-16 units; a 400 names the first one that is not
   * by its path ({@code fields[email]: NUL character at index 3}). The fields' own checks follow.
   */
  public <T> T body(T request) {
    boolean[] tooLong = {false}; // the walk stops at the first problem: this says which kind it was
    String problem = Storable.firstProblem(request, "", (path, s, key) -> {
      int max = key ? maxIdLength : maxTextLength;
      if (s.length() <= max) return Storable.problem(s);
      tooLong[0] = true;
      return "longer than " + max + " characters";
    });
    if (problem != null) throw ApiException.badRequest(tooLong[0] ? "field_too_long" : "invalid_request", problem);
    return request;
  }

  private static String describe(char ch) {
    return ch == ' ' ? "a space" : ch == '/' ? "'/'" : String.format("U+%04X", (int) ch);
  }

  public int range(String field, int value, int min, int max) {
    if (value < min || value > max) {
      throw ApiException.badRequest("invalid_request", field + " must be between " + min + " and " + max + ": " + value);
    }
    return value;
  }

  /** A value quoted in a message: at most 40 characters, what cannot be stored or printed replaced. */
  private static String clip(String s) {
    return Storable.printable(Text.clip(s, 40));
  }
}
