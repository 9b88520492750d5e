// pgjdbc against the wire door: tests/redteam/test_wire_jdbc.py compiles this file with
// `javac -cp /usr/share/java/postgresql.jar`, runs it as one principal, and asserts each line.
//
// Usage: java -cp <classes>:/usr/share/java/postgresql.jar WireCheck <jdbc-url> <user> <password>
//
// Every check runs on a connection of its own, so one that breaks its session cannot spoil the
// next, and prints `name<TAB>result` lines. A check that throws prints
// `name<TAB>error|<SQLState>|<exception class>: <message>` and the program goes on; the exit
// status is 0 whenever the checks ran, because the Python test judges the lines, not the status.

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.postgresql.PGStatement;

public final class WireCheck {
    private static final int PREPARED_RUNS = 8;
    private static final String MASK_PREFIX = "********";
    private static final String DENIED = "SELECT salary FROM employees";

    private final String url;
    private final Properties login = new Properties();

    private WireCheck(String url, String user, String password) {
        this.url = url;
        login.setProperty("user", user);
        login.setProperty("password", password);
    }

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: WireCheck <jdbc-url> <user> <password>");
            System.exit(2);
        }
        WireCheck check = new WireCheck(args[0], args[1], args[2]);
        check.run("prepared", check::preparedPastThreshold);
        check.run("fetch", check::fetchInBatches);
        check.run("denied", check::deniedThenUsable);
        check.run("denied.tx", check::deniedInTransactionThenUsable);
        check.run("metadata.columns", check::metadataColumns);
        check.run("current_user", check::currentUser);
        System.out.flush();
    }

    @FunctionalInterface
    private interface Check {
        void run(Connection conn) throws SQLException;
    }

    private void run(String name, Check check) {
        try (Connection conn = DriverManager.getConnection(url, login)) {
            check.run(conn);
        } catch (SQLException e) {
            print(name, error(e));
        } catch (RuntimeException e) {
            print(name, "error||" + e.getClass().getName() + ": " + oneLine(e.getMessage()));
        }
    }

    // (a) Past prepareThreshold pgjdbc switches to a named server statement (S_n), sends no
    // Describe any more and asks for binary results, decoded with the RowDescription it cached.
    private void preparedPastThreshold(Connection conn) throws SQLException {
        int id = firstVisibleDebtor(conn);
        print("prepared.id", Integer.toString(id));
        String sql = "SELECT id, iin FROM debtors WHERE id = ?";
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            PGStatement pg = ps.unwrap(PGStatement.class);
            for (int run = 1; run <= PREPARED_RUNS; run++) {
                String name = "prepared." + run;
                ps.setInt(1, id);
                // read before the run: whether this execution goes through the named statement
                boolean named = pg.isUseServerPrepare();
                try (ResultSet rs = ps.executeQuery()) {
                    List<String> rows = new ArrayList<>();
                    while (rs.next()) {
                        rows.add(rs.getInt(1) + ":" + rs.getString(2));
                    }
                    print(name, String.join(",", rows) + "|server=" + named);
                } catch (SQLException e) {
                    print(name, error(e));
                }
            }
        }
    }

    private static int firstVisibleDebtor(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT id FROM debtors ORDER BY id LIMIT 1")) {
            if (!rs.next()) {
                throw new SQLException("the collector sees no debtor at all");
            }
            return rs.getInt(1);
        }
    }

    // (b) With autocommit off and a fetch size, pgjdbc pipelines BEGIN with a named portal C_n
    // and pulls it with Execute(max_rows=2) until the portal stops answering PortalSuspended.
    private void fetchInBatches(Connection conn) throws SQLException {
        conn.setAutoCommit(false);
        int count = 0;
        int masked = 0;
        int nullNames = 0;
        try (Statement st = conn.createStatement()) {
            st.setFetchSize(2);
            String sql = "SELECT id, iin, full_name FROM debtors ORDER BY id";
            try (ResultSet rs = st.executeQuery(sql)) {
                while (rs.next()) {
                    count++;
                    String iin = rs.getString(2);
                    if (iin != null && iin.startsWith(MASK_PREFIX)) {
                        masked++;
                    }
                    if (rs.getString(3) == null) {
                        nullNames++;
                    }
                }
            }
        }
        print("fetch.count", Integer.toString(count));
        print("fetch.iin_masked", Integer.toString(masked));
        print("fetch.full_name_null", Integer.toString(nullNames));
        conn.commit();
        print("fetch.commit", "ok");
    }

    // (c) A refusal is an SQLException with SQLState 42501, and the session carries on.
    private void deniedThenUsable(Connection conn) throws SQLException {
        print("denied.autocommit", deniedState(conn));
        print("denied.autocommit.next", selectOne(conn));
    }

    // ... and inside a transaction block it fails the block as PostgreSQL's own error would:
    // the next statement gets 25P02 until the rollback, after which the session works again.
    private void deniedInTransactionThenUsable(Connection conn) throws SQLException {
        conn.setAutoCommit(false);
        print("denied.tx", deniedState(conn));
        print("denied.tx.before_rollback", selectOne(conn));
        conn.rollback();
        print("denied.tx.after_rollback", selectOne(conn));
        conn.commit();
    }

    private static String deniedState(Connection conn) {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(DENIED)) {
            return "no error";
        } catch (SQLException e) {
            return e.getSQLState();
        }
    }

    private static String selectOne(Connection conn) {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
            return rs.next() ? Integer.toString(rs.getInt(1)) : "no row";
        } catch (SQLException e) {
            return error(e);
        }
    }

    // (d) What a tool's schema browser asks first: the driver's own pg_catalog query.
    private void metadataColumns(Connection conn) throws SQLException {
        DatabaseMetaData meta = conn.getMetaData();
        List<String> names = new ArrayList<>();
        try (ResultSet rs = meta.getColumns(null, "public", "debtors", null)) {
            while (rs.next()) {
                names.add(rs.getString("COLUMN_NAME"));
            }
        }
        print("metadata.columns", String.join(",", names));
    }

    // (e) Statements run as the principal's provisioned database role, not as the proxy's.
    private void currentUser(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_user")) {
            print("current_user", rs.next() ? rs.getString(1) : "no row");
        }
    }

    private static String error(SQLException e) {
        return "error|" + e.getSQLState() + "|" + e.getClass().getName() + ": "
                + oneLine(e.getMessage());
    }

    private static String oneLine(String text) {
        return text == null ? "" : text.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    private static void print(String name, String result) {
        System.out.println(name + "\t" + result);
    }
}
