package io.switchboard.entity;

import io.switchboard.Storable;
import java.util.function.Predicate;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.slf4j.Logger;

/**
 * The check an entity makes of every command before its handler runs: a command that would persist
 * text the journal cannot hold ({@link Storable#problemOfCommand}), or any command but a read to an
 * entity whose own id cannot be stored, is refused and never persisted (a rejected event would stop
 * the entity, and the sender re-sends). One copy for the agent, the team and the gateway's tenant;
 * the conversation does more on a refusal (a CRM answer fails the lookup instead) and keeps its own.
 */
public final class CommandGuard {
  private CommandGuard() {}

  /**
   * {@code handlers} behind the check.
   *
   * @param kind the entity's kind as the refusal names it ("agent id: ...")
   * @param read the commands that persist nothing (a {@code Get}, the stop message): never refused
   * @param effects the entity's {@code Effect()}: a refused command's effect is {@code none()}
   */
  public static <C, E, S> CommandHandler<C, E, S> storable(String kind, String entityId, Predicate<? super C> read,
      Logger log, EffectFactories<E, S> effects, CommandHandler<C, E, S> handlers) {
    String idProblem = Storable.problem(entityId);
    return (state, command) -> {
      String unstorable = Storable.problemOfCommand(command, read.test(command), kind, idProblem);
      if (unstorable != null) {
        Storable.refuse(command, entityId, unstorable, log);
        return effects.none();
      }
      return handlers.apply(state, command);
    };
  }
}
