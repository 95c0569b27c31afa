// Writes a small application log with java.util.logging: a one-line SimpleFormatter.format
// and the logger's own Throwable printing (nested causes, suppressed exceptions, "... N more").
// Regenerate: see README.md in this folder.
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

public class LogDemo {
    static final Logger LOG = Logger.getLogger("com.example.shop.Orders");

    static void readConfig(int i) throws IOException {
        throw new IOException("config " + i + " unreadable");
    }

    static void loadConfig(int i) {
        try {
            readConfig(i);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load config " + i, e);
        }
    }

    static void place(int i) {
        try {
            loadConfig(i);
        } catch (RuntimeException e) {
            throw new IllegalStateException("order " + i + " failed", e);
        }
    }

    static void close(int i) throws Exception {
        Exception e = new Exception("closing " + i);
        e.addSuppressed(new ArithmeticException("/ by zero in " + i));
        throw e;
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("java.util.logging.SimpleFormatter.format",
                "%1$tF %1$tT.%1$tL %4$s %3$s - %5$s%6$s%n");
        Logger root = Logger.getLogger("");
        for (var h : root.getHandlers()) root.removeHandler(h);
        ConsoleHandler h = new ConsoleHandler();
        h.setFormatter(new SimpleFormatter());
        h.setLevel(Level.ALL);
        root.addHandler(h);
        for (int i = 0; i < 40; i++) {
            LOG.info("order " + i + " received");
            if (i % 7 == 3) {
                try {
                    place(i);
                } catch (IllegalStateException e) {
                    LOG.log(Level.SEVERE, "order " + i + " rejected", e);
                }
            } else if (i % 11 == 5) {
                try {
                    close(i);
                } catch (Exception e) {
                    LOG.log(Level.WARNING, "cleanup of " + i + " incomplete", e);
                }
            } else if (i % 13 == 8) {
                try {
                    Integer.parseInt("x" + i);
                } catch (NumberFormatException e) {
                    LOG.log(Level.WARNING, "bad quantity in order " + i, e);
                }
            } else if (i % 5 == 1) {
                LOG.fine("order " + i + " details: {\n  \"items\": " + i + "\n}");
                LOG.warning("order " + i + " slow");
            }
        }
    }
}
