package dev.llama3j.server;

import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PlainSocket;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http1.Http1ConnectionListener;

import java.lang.reflect.Field;
import java.net.Socket;
import java.net.SocketException;
import java.util.logging.LogRecord;

/**
 * Whether a request's client still waits for its answer, as llama-server checks its socket: what tells an answer
 * that writes nothing while it generates (a whole one, or one held back) that its client went away. Helidon SE's
 * socket monitor ({@link HelidonSocket#idle}) reads the connection while the request's thread does not, keeps a
 * byte that arrives for the connection's next read, and marks the socket closed at the end of its stream: when the
 * client closed it.
 * A request whose connection cannot be watched (not plain HTTP/1) is taken as never gone.
 */
final class ClientWatch {
    /** How long a waiting request sleeps between two looks (each a read of the monitor's flag). */
    static final long POLL_MS = 10;

    private static final ThreadLocal<ConnectionContext> CONNECTION = new ThreadLocal<>();

    /** Hands each HTTP/1 request's connection to its handler, which runs on the connection's own thread. */
    static final Http1ConnectionListener LISTENER = new Http1ConnectionListener() {
        @Override
        public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
            CONNECTION.set(ctx);
        }
    };

    /**
     * The java.net socket under Helidon's plain one (null where its field cannot be read), for its read timeout:
     * the monitor reads in slices of its own until that timeout has passed, then takes the socket for closed, and
     * a server socket has none (0, one slice).
     */
    private static final Field DELEGATE = delegate();

    private static final ClientWatch NONE = new ClientWatch(null);

    /** null: not watched */
    private HelidonSocket socket;
    private boolean armed;

    private ClientWatch(HelidonSocket socket) {
        this.socket = socket;
    }

    /** The watch of {@code req}'s connection, from the request's thread. */
    static ClientWatch of(ServerRequest req) {
        ConnectionContext ctx = CONNECTION.get();
        if (DELEGATE == null || ctx == null || !ctx.childSocketId().equals(req.socketId())
                || !ctx.socketId().equals(req.serverSocketId()) || !(ctx.serverSocket() instanceof PlainSocket s)) {
            return NONE;
        }
        return new ClientWatch(s);
    }

    /** The client closed its connection before its answer ended. */
    static final class Gone extends RuntimeException {
        Gone() {
            super("the client closed its connection before its answer ended", null, false, false);
        }
    }

    /**
     * Throws {@link Gone} when the client has closed its connection; the first call, once the request's body has
     * been read, starts the watch.
     */
    void check() {
        if (gone()) {
            throw new Gone();
        }
    }

    /** Whether the watch, once started, saw the client close its connection. */
    boolean seenGone() {
        return armed && socket != null && !socket.isConnected();
    }

    private boolean gone() {
        if (socket == null) {
            return false;
        }
        if (!armed) {
            armed = true;
            try {
                Socket raw = (Socket) DELEGATE.get(socket);
                if (raw.getSoTimeout() == 0) {
                    raw.setSoTimeout(Integer.MAX_VALUE);   // some 25 days of slices instead of one
                }
            } catch (IllegalAccessException | SocketException e) {
                socket = null;
                return false;
            }
            socket.idle();
        }
        return !socket.isConnected();
    }

    /**
     * Whether a log record is Helidon's about a connection read again after its monitor ended on a broken socket,
     * or was interrupted by the server's stop: no error of a request's.
     */
    static boolean monitorEnded(LogRecord r) {
        for (Throwable t = r.getThrown(); t != null; t = t.getCause()) {
            if ("Exception in socket monitor thread.".equals(t.getMessage())) {
                return true;
            }
        }
        return false;
    }

    private static Field delegate() {
        try {
            Field f = PlainSocket.class.getDeclaredField("delegate");
            f.setAccessible(true);
            return f.getType() == Socket.class ? f : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
