package io.switchboard.loadtest;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The settings every simulation reads from system properties (the pom passes them to Gatling's
 * forked JVM: {@code -DbaseUrl -Dtenant -DapiKey -DappSecret -Drate -Dduration -Dagents}, and the
 * optional {@code -DrunId -Dbatch -DstopFile}). The tenant's layout (teams, agent names, WhatsApp
 * numbers) is the one {@code load-tests/run.sh} writes into its bootstrap file.
 */
final class LoadSettings {
  private LoadSettings() {}

  static final String BASE_URL = prop("baseUrl", "http://127.0.0.1:8080");
  static final String TENANT = prop("tenant", "load");
  static final String API_KEY = prop("apiKey", "");
  static final String APP_SECRET = prop("appSecret", "load-app-secret");
  /** New conversations per second (open model). */
  static final double RATE = Double.parseDouble(prop("rate", "20"));
  /** Seconds of injection. */
  static final Duration DURATION = Duration.ofSeconds(Long.parseLong(prop("duration", "30")));
  /** Agents of the regular teams, named {@link #agent(int) a001 ..}. */
  static final int AGENTS = Integer.parseInt(prop("agents", "40"));
  /** Messages (one per new contact) in one WhatsApp webhook POST of the storm. */
  static final int BATCH = Integer.parseInt(prop("batch", "5"));
  /**
   * Prefix of contact and message ids, so that two runs against one store (a warm-up and the
   * measured run) never collide; lower-case letters and digits.
   */
  static final String RUN_ID = runId(prop("runId", ""));
  /** When set, the run stops (gracefully) soon after this file appears: run.sh ends warm-ups with it. */
  static final String STOP_FILE = prop("stopFile", "");

  /** Teams of run.sh's bootstrap file. */
  static final String TEAM_SUPPORT = "support";
  static final String TEAM_SALES = "sales";
  static final String TEAM_POOL = "pool";
  static final String TEAM_SILENT = "silent";
  static final String SUPERVISOR = "sup";
  /** WhatsApp phone number ids of the bootstrap file, mapped to {@code sales} and {@code silent}. */
  static final String NUMBER_SALES = "100000001";
  static final String NUMBER_SILENT = "100000009";

  private static final AtomicLong CONTACTS = new AtomicLong();
  private static final AtomicLong MESSAGES = new AtomicLong();

  /** A contact nobody has used before in this run (and, with distinct run ids, in any other). */
  static String newContact() {
    return RUN_ID + "-c" + CONTACTS.incrementAndGet();
  }

  static String newMessageId() {
    return RUN_ID + "-m" + MESSAGES.incrementAndGet();
  }

  /** The i-th regular agent, 1-based: a001, a002, ... */
  static String agent(int i) {
    return String.format(Locale.ROOT, "a%03d", i);
  }

  static String tenantPath() {
    return "/v1/tenants/" + TENANT;
  }

  static void requireApiKey() {
    if (API_KEY.isBlank()) {
      throw new IllegalStateException("no API key: pass -DapiKey=sb_" + TENANT + ".<id>.<secret> (run.sh does)");
    }
  }

  private static String prop(String name, String fallback) {
    String v = System.getProperty(name);
    return v == null || v.isBlank() ? fallback : v.trim();
  }

  private static String runId(String given) {
    String id = given.isEmpty() ? Long.toString(System.currentTimeMillis(), 36) : given.toLowerCase(Locale.ROOT);
    if (!id.matches("[a-z0-9]{1,20}")) {
      throw new IllegalStateException("runId must be 1-20 lower-case letters or digits, not " + given);
    }
    return id;
  }
}
