package io.switchboard.gateway.tenant;

import com.typesafe.config.Config;
import io.switchboard.gateway.cluster.ClusterConfig;
import io.switchboard.gateway.whatsapp.VerificationHandshake;
import io.switchboard.persistence.StoreSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * Tenants' secrets at rest (docs/ARCHITECTURE.md, "Tenant secrets"). What must be read back, the
 * WhatsApp app secret (it checks inbound signatures) and the webhook secret (it signs outbound POSTs),
 * is sealed with {@link SecretCipher} at the edge, before the {@link Tenant} entity sees it: the
 * command, the event, the snapshot and the Distributed Data copy on every node ({@link TenantData})
 * hold the sealed form, and it is opened only where it is used. The verify token is only compared, so
 * only its hash is kept ({@link VerificationHandshake#stored}).
 *
 * <p>The key, from {@code switchboard.gateway.secrets}: {@code key} (base64 of 32 bytes), else
 * {@code key-file}; with neither, a node on H2 (one process, the default of a first run) generates one
 * once into {@value #H2_KEY_FILE} beside its database, and a node on PostgreSQL refuses to start: a key
 * generated per node would differ between the nodes of a cluster (what one sealed, the others could not
 * open), and a key kept in the database would sit beside the ciphertext it protects.
 */
public final class TenantSecrets implements Extension {

  /** The generated key's file in an H2 store's directory. */
  public static final String H2_KEY_FILE = "secrets.key";

  /** The node's secrets, read from its configuration once. */
  public static TenantSecrets get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  private static final class Id extends ExtensionId<TenantSecrets> {
    static final Id INSTANCE = new Id();

    @Override
    public TenantSecrets createExtension(ActorSystem<?> system) {
      return from(system.settings().config());
    }
  }

  private final SecretCipher cipher;
  private final String source;

  public TenantSecrets(SecretCipher cipher, String source) {
    this.cipher = cipher;
    this.source = source;
  }

  /**
   * The keys {@code root} names (its {@code switchboard.gateway.secrets} and {@code switchboard.persistence}).
   *
   * @throws ClusterConfig.RefusedException on PostgreSQL without a key (the node exits with the message)
   * @throws IllegalArgumentException naming the setting or file whose key is malformed (never its value)
   */
  public static TenantSecrets from(Config root) {
    Config c = root.getConfig("switchboard.gateway.secrets");
    String key = c.getString("key");
    String keyFile = c.getString("key-file");
    byte[] current;
    String source;
    if (!key.isBlank()) {
      current = SecretCipher.parseKey(key, "switchboard.gateway.secrets.key (SWITCHBOARD_SECRETS_KEY)");
      source = "switchboard.gateway.secrets.key";
    } else if (!keyFile.isBlank()) {
      Path file = Path.of(keyFile).toAbsolutePath();
      current = read(file);
      source = "file " + file;
    } else {
      StoreSettings store = StoreSettings.from(root);
      if (store.kind() != StoreSettings.Kind.H2) {
        throw new ClusterConfig.RefusedException("refusing to start on PostgreSQL without a key for the tenants' "
            + "secrets: set SWITCHBOARD_SECRETS_KEY (switchboard.gateway.secrets.key) to the base64 of 32 random bytes "
            + "(openssl rand -base64 32), the same on every node, or SWITCHBOARD_SECRETS_KEY_FILE to a file holding it. "
            + "Keep it outside the database and back it up: without it the stored app and webhook secrets cannot be read");
      }
      Path file = store.h2Dir().resolve(H2_KEY_FILE);
      current = readOrCreate(file);
      source = "file " + file + " (generated for this H2 store)";
    }
    List<byte[]> older = new ArrayList<>();
    String old = c.getString("old-keys");
    int i = 0;
    for (String k : old.split(",")) {
      if (k.isBlank()) continue;
      older.add(SecretCipher.parseKey(k, "entry " + i++ + " of switchboard.gateway.secrets.old-keys (SWITCHBOARD_SECRETS_OLD_KEYS)"));
    }
    return new TenantSecrets(new SecretCipher(current, older), source);
  }

  /** Where the key came from and its id, for the start-up log (never the key). */
  public String describe() {
    return "key " + cipher.currentKeyId() + " from " + source
        + (cipher.keyCount() > 1 ? ", " + (cipher.keyCount() - 1) + " older key(s) to read with" : "");
  }

  public SecretCipher cipher() {
    return cipher;
  }

  /** {@code s} as it is stored: the app and webhook secrets sealed, the verify token hashed. */
  public TenantSettings protect(String tenant, TenantSettings s) {
    return new TenantSettings(s.displayName(), VerificationHandshake.stored(s.verifyToken()),
        cipher.seal(context(tenant, "appSecret"), s.appSecret()), s.webhookUrl(),
        cipher.seal(context(tenant, "webhookSecret"), s.webhookSecret()), s.defaultTeam(), s.whatsappNumbers());
  }

  /** The WhatsApp app secret of {@code tenant} in clear (null or empty when none is set). */
  public String appSecret(String tenant, TenantSettings s) {
    return cipher.open(context(tenant, "appSecret"), s.appSecret());
  }

  /** The outbound webhook secret of {@code tenant} in clear (null or empty when none is set). */
  public String webhookSecret(String tenant, TenantSettings s) {
    return cipher.open(context(tenant, "webhookSecret"), s.webhookSecret());
  }

  private static String context(String tenant, String field) {
    return "tenant " + tenant + " " + field;
  }

  private static byte[] read(Path file) {
    try {
      return SecretCipher.parseKey(Files.readString(file, StandardCharsets.US_ASCII), "the key file " + file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the key file " + file + " (switchboard.gateway.secrets.key-file): "
          + e.getMessage(), e);
    }
  }

  /** The key in {@code file}, generated into it (readable by this user only) when there is none. */
  private static byte[] readOrCreate(Path file) {
    if (Files.exists(file)) return read(file);
    byte[] key = SecretCipher.newKey();
    try {
      Files.createDirectories(file.getParent());
      Set<StandardOpenOption> options = EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      FileAttribute<?>[] ownerOnly = file.getFileSystem().supportedFileAttributeViews().contains("posix")
          ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
              EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE))}
          : new FileAttribute<?>[0];
      try (FileChannel ch = FileChannel.open(file, options, ownerOnly)) {
        ch.write(ByteBuffer.wrap((Base64.getEncoder().encodeToString(key) + "\n")
            .getBytes(StandardCharsets.US_ASCII)));
        ch.force(true); // a key lost in a crash would leave the secrets sealed under it unreadable
      }
      return key;
    } catch (FileAlreadyExistsException e) {
      return read(file); // made in between by another start on the same directory
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the key file " + file + " for the tenants' secrets: " + e.getMessage(), e);
    }
  }
}
