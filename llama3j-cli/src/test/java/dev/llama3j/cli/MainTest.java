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
        assertThat(run.stderr().lines()).hasSize(1);
    }

    /** A command line picocli rejects is one line on stderr: the problem, a suggestion, where the help is. */
    @Test
    void aBadCommandLineIsOneLineWithASuggestion() {
        CliRunner.Run typo = CliRunner.run("complete", "--ckpt-dir", "x", "--tempreature", "1");
        assertThat(typo.exit()).isEqualTo(2);
        assertThat(typo.stderr().strip()).isEqualTo("llama3j: Unknown option: '--tempreature'; did you mean "
                + "--temperature? (see 'llama3j complete --help')");
        CliRunner.Run number = CliRunner.run("bench", "-m", "x", "-r", "many");
        assertThat(number.exit()).isEqualTo(2);
        assertThat(number.stderr().strip()).isEqualTo("llama3j: Invalid value for option '--repetitions': 'many' is "
                + "not an int (see 'llama3j bench --help')");
        assertThat(number.stdout()).isEmpty();
    }

    /** The command list gives each command's first description sentence, whole, on one line of 80 columns. */
    @Test
    void helpListsEachCommandWithItsFirstSentenceOnOneLine() {
        CliRunner.Run run = CliRunner.run("help");
        assertThat(run.exit()).isZero();
        List<String> lines = run.stdout().lines().toList();
        List<String> commands = lines.subList(lines.indexOf("Commands:") + 1, lines.size());
        assertThat(commands).hasSize(Subcommands.all().size() + 1); // one line each, and help's own
        for (Object command : Subcommands.all()) {
            String first = command.getClass().getAnnotation(CommandLine.Command.class).description()[0];
            assertThat(first).endsWith(".");
            assertThat(commands).anySatisfy(l -> assertThat(l).matches(" +" + name(command) + " +\\Q" + first + "\\E"));
        }
        assertThat(lines).allSatisfy(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(80));
    }

    /**
     * Every command's usage fits 80 columns and wraps text only between words: each description paragraph and
     * each option's description reads whole once the lines are joined.
     */
    @Test
    void usageFitsEightyColumnsAndWrapsOnlyBetweenWords() {
        CommandLine full = Main.commandLine();
        for (Object command : Subcommands.all()) {
            CommandLine sub = full.getSubcommands().get(name(command));
            String usage = sub.getUsageMessage(CommandLine.Help.Ansi.OFF);
            assertThat(usage.lines()).as(name(command)).allSatisfy(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(80));
            String joined = usage.replaceAll("\\s+", " ");
            for (String paragraph : sub.getCommandSpec().usageMessage().description()) {
                assertThat(joined).as(name(command)).contains(paragraph.replaceAll("\\s+", " "));
            }
            for (CommandLine.Model.OptionSpec option : sub.getCommandSpec().options()) {
                if (option.hidden()) {
                    continue;
                }
                assertThat(joined).as(name(command) + " " + option.longestName())
                        .contains(String.join(" ", option.description()));
            }
        }
    }
}
