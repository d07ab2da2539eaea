package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.cluster.Cluster;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.List;

/** Entry point of the {@code llama3j} command line. */
@Command(name = "llama3j",
        mixinStandardHelpOptions = true,
        version = "llama3j 0.1.0",
        description = "Meta Llama 3 inference for the JVM.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Builds the command line with every subcommand and the project's error handling. */
    public static CommandLine commandLine() {
        return withSubcommands(Subcommands.all());
    }

    /**
     * The command line for {@code args}: when the first word names a subcommand, with that subcommand only, else
     * with all of them (top-level help, a mistyped name and its suggestions). picocli reads every subcommand's
     * annotations when it is added, through generated proxy classes, which delays a cold start before the model
     * begins to load (figures: docs/performance.md).
     */
    public static CommandLine commandLine(String... args) {
        Object only = args.length == 0 ? null : Subcommands.named(args[0]);
        return only == null ? commandLine() : withSubcommands(List.of(only));
    }

    private static CommandLine withSubcommands(List<Object> subcommands) {
        CommandLine cl = new CommandLine(new Main());
        for (Object sub : subcommands) {
            cl.addSubcommand(sub);
        }
        cl.setExecutionExceptionHandler(new UserErrors());
        cl.setParameterExceptionHandler(UserErrors::handleParameterException);
        return cl;
    }

    public static void main(String[] args) {
        StartupClock.mainStarted();
        String badText = ArgumentText.problem(args, () -> ArgumentText.fromProc(args.length), ArgumentText.encoding());
        if (badText != null) {
            System.err.println("llama3j: " + badText);
            System.exit(UserErrors.EXIT_USER_ERROR);
        }
        Cluster cluster = startCluster();
        if (cluster != null && cluster.rank() > 0) {
            System.exit(cluster.follow());  // the others follow rank 0, which runs the command
        }
        int code = commandLine(args).execute(args);
        System.out.flush();
        if (cluster != null) {
            cluster.finish(code);
        }
        System.exit(code);
    }

    /** Under mpirun with several processes, the job's ranks ({@link Cluster}); null otherwise. */
    private static Cluster startCluster() {
        try {
            return Cluster.startIfLaunched();
        } catch (LlamaException e) {
            System.err.println("llama3j: " + e.getMessage());
            System.exit(UserErrors.EXIT_USER_ERROR);
            return null;
        }
    }
}
