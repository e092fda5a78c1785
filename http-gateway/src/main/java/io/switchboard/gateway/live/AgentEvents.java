package io.switchboard.gateway.live;

import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * One per node: the pub-sub topics of the agents' live streams ({@code agent-events:<agentId>}),
 * spawned on first use. A topic reaches the subscribers of every node of the cluster, so an agent's
 * stream works whichever node holds the conversation and whichever node serves the stream.
 */
public final class AgentEvents {
  private AgentEvents() {}

  public sealed interface Command {}

  public record Publish(String agentId, AgentEvent event) implements Command {}

  public record Subscribe(String agentId, ActorRef<AgentEvent> subscriber) implements Command {}

  public static Behavior<Command> create() {
    return Behaviors.setup(ctx -> {
      Map<String, ActorRef<Topic.Command<AgentEvent>>> topics = new HashMap<>();
      return Behaviors.receive(Command.class)
          .onMessage(Publish.class, p -> {
            topic(ctx, topics, p.agentId()).tell(Topic.publish(p.event()));
            return Behaviors.same();
          })
          .onMessage(Subscribe.class, s -> {
            topic(ctx, topics, s.agentId()).tell(Topic.subscribe(s.subscriber()));
            return Behaviors.same();
          })
          .build();
    });
  }

  private static ActorRef<Topic.Command<AgentEvent>> topic(ActorContext<Command> ctx,
      Map<String, ActorRef<Topic.Command<AgentEvent>>> topics, String agentId) {
    return topics.computeIfAbsent(agentId, id ->
        ctx.spawn(Topic.create(AgentEvent.class, "agent-events:" + id), "topic-" + (topics.size() + 1)));
  }
}
