package io.switchboard.gateway.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.PropertyBindingException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.introspect.AnnotatedClass;
import com.fasterxml.jackson.databind.introspect.AnnotatedClassResolver;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import io.switchboard.Text;
import java.lang.reflect.Field;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A body that is not the JSON a route expects, said the way a person fixes it: the JSON path of the
 * offending value and what was expected there, e.g. {@code rules[2].when.type: unknown type
 * 'keywordz', expected one of [all, always, any, ...]} or {@code members: expected an array, got a
 * string}. Jackson's own messages name Java classes and stream positions instead.
 */
public final class JsonErrors {
  /** Jackson's " (start marker at [Source: ...; line: 1, column: 11])" in a message: the location is given apart. */
  private static final Pattern SOURCE = Pattern.compile("\\s*\\(start marker at \\[Source:[^\\]]*\\]\\)|\\s*\\[Source:[^\\]]*\\]");
  private static final Pattern FROM = Pattern.compile("from ([A-Za-z-]+) value");
  private static final Pattern TOKEN = Pattern.compile("token `JsonToken\\.([A-Z_]+)`");

  private JsonErrors() {}

  /** Reads {@code text} as {@code type}; a body that does not bind is a 400 {@code code} naming path and expectation. */
  public static <T> T read(ObjectMapper json, String text, Class<T> type, String code) {
    if (text == null || text.isBlank()) throw ApiException.badRequest(code, "a JSON body is required");
    try {
      return json.readValue(text, type);
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest(code, describe(json, e));
    }
  }

  /** One line: {@code path: what is wrong, expected what}; a syntax error with its line and column. */
  public static String describe(ObjectMapper json, JsonProcessingException e) {
    if (!(e instanceof JsonMappingException m)) return syntax(e);
    if (m.getCause() instanceof StreamReadException inner) return syntax(inner); // broken JSON inside a value
    String path = path(m);
    if (m instanceof InvalidTypeIdException t) {
      JavaType base = t.getBaseType();
      String property = typeProperty(base);
      String where = path.isEmpty() ? property : path + "." + property;
      String expected = "expected one of " + typeIds(json, base);
      return t.getTypeId() == null
          ? where + ": missing, " + expected
          : where + ": unknown type '" + clip(t.getTypeId()) + "', " + expected;
    }
    if (m instanceof PropertyBindingException p) { // unknown or ignored field
      Collection<Object> known = p.getKnownPropertyIds();
      return path + ": unknown field" + (known == null || known.isEmpty() ? ""
          : ", expected one of " + new TreeSet<>(known.stream().map(String::valueOf).toList()));
    }
    if (m instanceof InvalidFormatException f) {
      return at(path) + "'" + clip(String.valueOf(f.getValue())) + "' is not " + expected(f.getTargetType());
    }
    if (m instanceof MismatchedInputException mi && mi.getTargetType() != null) {
      String got = found(mi);
      return at(path) + "expected " + expected(mi.getTargetType()) + (got == null ? "" : ", got " + got);
    }
    if (m instanceof ValueInstantiationException v && v.getCause() != null) {
      return at(path) + clip(v.getCause().getMessage());
    }
    return at(path) + clip(m.getOriginalMessage());
  }

  private static String syntax(JsonProcessingException e) {
    JsonLocation at = e.getLocation();
    String what = SOURCE.matcher(String.valueOf(e.getOriginalMessage())).replaceAll("");
    return "not JSON: " + clip(what) + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")");
  }

  /** {@code rules[2].when.of[0]}: field names joined by dots, indexes in brackets. */
  static String path(JsonMappingException e) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (b.length() > 0) b.append('.');
        b.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.toString();
  }

  private static String at(String path) {
    return path.isEmpty() ? "the body: " : path + ": ";
  }

  private static String typeProperty(JavaType base) {
    JsonTypeInfo info = base == null ? null : base.getRawClass().getAnnotation(JsonTypeInfo.class);
    return info == null || info.property().isEmpty() ? "type" : info.property();
  }

  /** The names the polymorphic {@code base} accepts, sorted. */
  private static List<String> typeIds(ObjectMapper json, JavaType base) {
    if (base == null) return List.of();
    DeserializationConfig config = json.getDeserializationConfig();
    AnnotatedClass ac = AnnotatedClassResolver.resolveWithoutSuperTypes(config, base.getRawClass());
    TreeSet<String> names = new TreeSet<>();
    for (NamedType t : json.getSubtypeResolver().collectAndResolveSubtypesByTypeId(config, ac)) {
      if (t.hasName() && !t.getType().isInterface()) names.add(t.getName());
    }
    return new ArrayList<>(names);
  }

  /** What a value of {@code type} looks like in JSON. */
  static String expected(Class<?> type) {
    if (type == null) return "a different value";
    if (type.isEnum()) return "one of " + enumNames(type);
    if (type == String.class || type == Character.class || type == char.class) return "a string";
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class
        || type == Short.class || type == short.class) {
      return "an integer";
    }
    if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) return "a number";
    if (type == Boolean.class || type == boolean.class) return "true or false";
    if (type == Duration.class) return "an ISO-8601 duration such as \"PT5M\"";
    if (type == Instant.class) return "an ISO-8601 instant such as \"2025-06-09T12:00:00Z\"";
    if (type == LocalTime.class) return "a time of day such as \"09:00\"";
    if (type.isArray() || Collection.class.isAssignableFrom(type)) return "an array";
    return "an object";
  }

  /** An enum's JSON names: its {@code @JsonProperty} names where it has them. */
  private static List<String> enumNames(Class<?> type) {
    List<String> names = new ArrayList<>();
    for (Field f : type.getFields()) {
      if (!f.isEnumConstant()) continue;
      JsonProperty p = f.getAnnotation(JsonProperty.class);
      names.add(p != null && !p.value().isEmpty() ? p.value() : f.getName());
    }
    return names;
  }

  /** The kind of JSON value the parser stood on when the mismatch was found, or null. */
  private static String found(MismatchedInputException e) {
    // Jackson names it in its message ("... from String value (token `JsonToken.VALUE_STRING`)"); the
    // parser may have moved on (a record's properties are buffered before its constructor runs)
    String message = String.valueOf(e.getOriginalMessage());
    Matcher from = FROM.matcher(message);
    if (from.find()) {
      switch (from.group(1)) {
        case "String": return "a string";
        case "Integer", "Number", "Floating-point": return "a number";
        case "Boolean": return "a boolean";
        case "Object": return "an object";
        case "Array": return "an array";
        default: break;
      }
    }
    Matcher named = TOKEN.matcher(message);
    JsonToken t = null;
    if (named.find()) {
      try {
        t = JsonToken.valueOf(named.group(1));
      } catch (IllegalArgumentException unknown) {
        t = null;
      }
    }
    if (t == null && e.getProcessor() instanceof JsonParser p) t = p.currentToken();
    if (t == null) return null;
    return switch (t) {
      case START_ARRAY, END_ARRAY -> "an array";
      case START_OBJECT, END_OBJECT, FIELD_NAME -> "an object";
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> null;
    };
  }

  private static String clip(String s) {
    return Text.clip(Text.firstLine(s), 200);
  }
}
