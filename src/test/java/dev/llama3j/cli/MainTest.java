package dev.llama3j.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {
    private static String name(Object command) {
        return command.getClass().getAnnotation(CommandLine.Command.class).name();
    }

    @Test
    void aNamedSubcommandIsBuiltAloneAndReadsLikeTheFullCommandLine() {
        CommandLine full = Main.commandLine();
        List<Object> all = Subcommands.all();
        assertThat(full.getSubcommands()).hasSize(all.size() + 1); // and picocli's help
        for (Object command : all) {
            String name = name(command);
            CommandLine alone = Main.commandLine(name, "--help");
            assertThat(alone.getSubcommands()).containsOnlyKeys(name, "help"); // help comes with Main's annotation
            CommandLine sub = alone.getSubcommands().get(name);
            assertThat((Object) sub.getCommand()).isExactlyInstanceOf(command.getClass());
            // what a user sees of the subcommand does not depend on how the command line was built
            assertThat(sub.getUsageMessage()).isEqualTo(full.getSubcommands().get(name).getUsageMessage());
            assertThat(sub.getCommandSpec().qualifiedName()).isEqualTo("llama3j " + name);
        }
    }

    @Test
    void anyOtherFirstWordGetsEverySubcommand() {
        int count = Main.commandLine().getSubcommands().size();
        assertThat(Main.commandLine().getSubcommands()).hasSize(count);
        assertThat(Main.commandLine("--help").getSubcommands()).hasSize(count);
        assertThat(Main.commandLine("help", "complete").getSubcommands()).hasSize(count);
        assertThat(Main.commandLine("complet").getSubcommands()).hasSize(count);
    }

    @Test
    void aMistypedSubcommandIsAUserErrorWithASuggestion() {
        CliRunner.Run run = CliRunner.run("complet", "hello");
        assertThat(run.exit()).isNotZero();
        assertThat(run.stderr()).contains("complet").contains("complete");
    }
}
