package io.switchboard.gateway.outbound;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;

/** An actor test kit with {@code config} over the defaults, and a {@link Receiver} on it; stopped together. */
final class ReceiverKit implements AutoCloseable {
  final ActorTestKit testKit;
  final Receiver receiver;

  ReceiverKit(String name, String config) {
    testKit = ActorTestKit.create(name, ConfigFactory.parseString(config).withFallback(ConfigFactory.load()));
    try {
      receiver = Receiver.start(testKit.system());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws Exception {
    receiver.stop();
    testKit.shutdownTestKit();
  }
}
