/* store_sqlite: the embedded SQLite backend of store.h: open, schema migrations, the one
 * statement table, close, tokens and retention. The other jobs live in store_sqlite_ingest.c,
 * store_sqlite_query.c and store_sqlite_cap.c; store_int.h is what the four share.
 *
 * Shape (REFERENCE.md §9): raw records go into an append-only rowid table; the only indexes on it
 * are (site_id, start_ns) for the per-site queries and a partial one over failing intervals.
 * Hourly rollups (path_hour, site_hour, fail_hour) keep the verdict over 24 h to at most 24 rows
 * per group; fail_hour keeps each group's episodes as vr_verdict_group does (migration 4), and the
 * reasons' per-class denominators are path_hour's sums by class. Capacity and capture records
 * (migration 2) are rare next to intervals, so they are de-duplicated by a UNIQUE (agent_id, rid)
 * index and INSERT OR IGNORE. */
#include "store.h"

#include "clock.h"
#include "store_ckpt.h"
#include "store_int.h"

/* ---- statements ----------------------------------------------------------------------------- */

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_TOKEN_ADD] = "INSERT INTO tokens(site, hash, created_ns) VALUES (?1, ?2, ?3)",
    [ST_TOKEN_FIND] = "SELECT id, site, created_ns FROM tokens WHERE hash = ?1 AND revoked = 0",
    [ST_TOKEN_REVOKE] = "UPDATE tokens SET revoked = 1 WHERE id = ?1",
    [ST_TOKEN_LIST] = "SELECT id, site, created_ns, revoked FROM tokens ORDER BY id",
    [ST_SITE_GET] = "SELECT id FROM sites WHERE name = ?1",
    [ST_SITE_ADD] = "INSERT INTO sites(name, first_seen_ns, last_seen_ns) VALUES (?1, ?2, ?2)",
    [ST_SITE_SEEN] = "UPDATE sites SET last_seen_ns = max(last_seen_ns, ?2) WHERE id = ?1",
    [ST_SITE_ROW] = "SELECT s.id, s.last_seen_ns, (SELECT count(*) FROM agents a WHERE "
                    "a.site_id = s.id), (SELECT max(a.last_upload_ns) FROM agents a WHERE "
                    "a.site_id = s.id) FROM sites s WHERE s.name = ?1",
    [ST_SITE_LIST] = "SELECT s.id, s.name, s.last_seen_ns, (SELECT count(*) FROM agents a WHERE "
                     "a.site_id = s.id), (SELECT max(a.last_upload_ns) FROM agents a WHERE "
                     "a.site_id = s.id) FROM sites s ORDER BY s.name",
    [ST_AGENT_GET] = "SELECT id, site_id FROM agents WHERE name = ?1",
    [ST_AGENT_ADD] = "INSERT INTO agents(name, site_id) VALUES (?1, ?2)",
    [ST_AGENT_MOVE] = "UPDATE agents SET site_id = ?2 WHERE id = ?1",
    [ST_PATH_GET] =
        "SELECT id FROM paths WHERE site_id = ?1 AND cls = ?2 AND target = ?3 AND link = ?4",
    [ST_PATH_ADD] =
        "INSERT INTO paths(site_id, cls, target, link, dscp) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_RUN_GET] = "SELECT hwm FROM runs WHERE agent_id = ?1 AND prefix = ?2 AND cls = ?3",
    [ST_RUN_PUT] =
        "INSERT INTO runs(agent_id, prefix, cls, hwm, updated_ns) VALUES (?1,?2,?3,?4,?5) "
        "ON CONFLICT(agent_id, prefix, cls) DO UPDATE SET hwm = max(hwm, excluded.hwm), "
        "updated_ns = max(updated_ns, excluded.updated_ns)",
    [ST_REC_DUP] = "SELECT 1 FROM records WHERE site_id = ?1 AND start_ns = ?2 AND agent_id = ?3 "
                   "AND rid = ?4",
    [ST_REC_ADD] = "INSERT INTO records(site_id, agent_id, path_id, type, rid, start_ns, "
                   "duration_s, calls, verdict, sent, loss_fwd_pct, loss_rev_pct, loss_pct, "
                   "rtt_ms_mean, rtt_ms_p95, jitter_fwd_ms, jitter_rev_ms, mos, raw) VALUES "
                   "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)",
    [ST_PH_GET] =
        "SELECT intervals, passed, failed, warned, weight, weight_passed, n, loss_fwd_sum, "
        "loss_rev_sum, rtt_sum, jitter_fwd_sum, jitter_rev_sum, mos_sum, mos_n, "
        "dscp_fwd, dscp_rev FROM path_hour WHERE path_id = ?1 AND hour = ?2",
    [ST_PH_PUT] =
        "INSERT OR REPLACE INTO path_hour(path_id, hour, intervals, passed, failed, warned, "
        "weight, weight_passed, n, loss_fwd_sum, loss_rev_sum, rtt_sum, jitter_fwd_sum, "
        "jitter_rev_sum, mos_sum, mos_n, dscp_fwd, dscp_rev) VALUES "
        "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
    [ST_SH_GET] =
        "SELECT intervals, passed, failed, warned, weight, weight_passed, marks_rewritten "
        "FROM site_hour WHERE site_id = ?1 AND hour = ?2 AND mk = ?3",
    [ST_SH_PUT] = "INSERT OR REPLACE INTO site_hour(site_id, hour, mk, intervals, passed, failed, "
                  "warned, weight, weight_passed, marks_rewritten) VALUES "
                  "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
    [ST_FG_GET] = "SELECT cls, count, worst, severity, first_ns, last_ns, dscp, dscp_seen, "
                  "episodes, first_end_ns, last_start_ns, worst_start_ns, worst_end_ns, step_ns "
                  "FROM fail_hour WHERE site_id = ?1 AND hour = ?2 AND mk = ?3 AND ci = ?4 AND "
                  "metric = ?5 AND dir = ?6 AND lvl = ?7",
    [ST_FG_PUT] = "INSERT OR REPLACE INTO fail_hour(site_id, hour, mk, ci, metric, dir, lvl, cls, "
                  "count, worst, severity, first_ns, last_ns, dscp, dscp_seen, episodes, "
                  "first_end_ns, last_start_ns, worst_start_ns, worst_end_ns, step_ns) VALUES "
                  "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21)",
    [ST_Q_SH] = "SELECT mk, intervals, passed, failed, warned, weight, weight_passed, "
                "marks_rewritten FROM site_hour WHERE site_id = ?1 AND hour >= ?2 AND hour < ?3",
    [ST_Q_FG] = "SELECT mk, ci, metric, dir, lvl, cls, count, worst, severity, first_ns, last_ns, "
                "dscp, dscp_seen, episodes, first_end_ns, last_start_ns, worst_start_ns, "
                "worst_end_ns, step_ns FROM fail_hour WHERE site_id = ?1 AND hour >= ?2 AND "
                "hour < ?3 ORDER BY hour",
    [ST_Q_SH_ALL] = "SELECT mk, intervals, passed, failed, warned, weight, weight_passed, "
                    "marks_rewritten, site_id FROM site_hour WHERE hour >= ?1 AND hour < ?2",
    [ST_Q_FG_ALL] =
        "SELECT mk, ci, metric, dir, lvl, cls, count, worst, severity, first_ns, "
        "last_ns, dscp, dscp_seen, episodes, first_end_ns, last_start_ns, worst_start_ns, "
        "worst_end_ns, step_ns, site_id FROM fail_hour WHERE hour >= ?1 AND "
        "hour < ?2 ORDER BY hour",
    [ST_Q_PATHS] = "SELECT p.id, p.cls, p.target, p.link, p.dscp, h.intervals, h.passed, "
                   "h.failed, h.warned, h.weight, h.weight_passed, h.n, h.loss_fwd_sum, "
                   "h.loss_rev_sum, h.rtt_sum, h.jitter_fwd_sum, h.jitter_rev_sum, h.mos_sum, "
                   "h.mos_n, h.dscp_fwd, h.dscp_rev FROM paths p JOIN path_hour h ON h.path_id = "
                   "p.id WHERE p.site_id = ?1 AND h.hour >= ?2 AND h.hour < ?3 ORDER BY p.id",
    [ST_Q_FAILING] = "SELECT r.start_ns, p.cls, p.target, r.raw FROM records r JOIN paths p ON "
                     "p.id = r.path_id WHERE r.site_id = ?1 AND r.start_ns >= ?2 AND "
                     "r.start_ns <= ?3 AND r.verdict = 2 AND r.type = 0 ORDER BY r.start_ns "
                     "DESC LIMIT 100",
    [ST_Q_SERIES] = "SELECT r.path_id, p.cls, p.target, r.start_ns, r.rtt_ms_mean, r.rtt_ms_p95, "
                    "r.jitter_fwd_ms, r.jitter_rev_ms, r.loss_fwd_pct, r.loss_rev_pct, r.mos, "
                    "r.verdict, p.link FROM records r JOIN paths p ON p.id = r.path_id WHERE "
                    "r.site_id = ?1 AND r.start_ns >= ?2 AND r.type = 0 AND (?3 IS NULL OR "
                    "p.cls = ?3) AND (?4 IS NULL OR p.link = ?4) ORDER BY r.start_ns DESC",
    [ST_Q_OLDEST] = "SELECT min(start_ns) FROM records WHERE site_id = ?1",
    [ST_Q_SERIES_ROLL] = "SELECT p.id, p.cls, p.target, h.hour, h.n, h.rtt_sum, h.jitter_fwd_sum, "
                         "h.jitter_rev_sum, h.loss_fwd_sum, h.loss_rev_sum, h.mos_sum, h.mos_n, "
                         "h.failed, h.warned, p.link FROM paths p JOIN path_hour h ON h.path_id = "
                         "p.id WHERE p.site_id = ?1 AND h.hour >= ?2 AND h.hour < ?3 AND (?4 IS "
                         "NULL OR p.cls = ?4) AND (?5 IS NULL OR p.link = ?5) ORDER BY h.hour "
                         "DESC",
    [ST_PRUNE_REC] = "DELETE FROM records WHERE site_id = ?1 AND start_ns < ?2",
    [ST_PRUNE_PH] = "DELETE FROM path_hour WHERE path_id IN (SELECT id FROM paths WHERE site_id "
                    "= ?1) AND hour < ?2",
    [ST_PRUNE_SH] = "DELETE FROM site_hour WHERE site_id = ?1 AND hour < ?2",
    [ST_PRUNE_FG] = "DELETE FROM fail_hour WHERE site_id = ?1 AND hour < ?2",
    [ST_PRUNE_RUNS] = "DELETE FROM runs WHERE updated_ns < ?1",
    /* capacity and capture records */
    [ST_CAP_ADD] = "INSERT OR IGNORE INTO capacity(site_id, agent_id, rid, start_ns, target, link, "
                   "calls, bps_fwd, bps_rev, max_rate_bps, stop_limit, cause, verdict, raw) VALUES "
                   "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
    [ST_CAP_STATE] = "INSERT INTO site_capacity(site_id, target, cap_id, start_ns, calls) VALUES "
                     "(?1,?2,?3,?4,?5) ON CONFLICT(site_id, target) DO UPDATE SET cap_id = "
                     "excluded.cap_id, start_ns = excluded.start_ns, calls = excluded.calls WHERE "
                     "excluded.start_ns >= site_capacity.start_ns",
    [ST_CAPT_ADD] = "INSERT OR IGNORE INTO captures(site_id, agent_id, rid, start_ns, link, cls, "
                    "src, dst, packets, lost, loss_pct, jitter_ms, mos, verdict, raw) VALUES "
                    "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
    [ST_Q_CAPS] = "SELECT site_id, min(calls) FROM site_capacity GROUP BY site_id ORDER BY site_id",
    [ST_Q_CAP_ONE] = "SELECT min(calls), count(*) FROM site_capacity WHERE site_id = ?1",
    [ST_Q_CAP_SITE] = "SELECT c.target, c.link, c.calls, c.bps_fwd, c.bps_rev, c.max_rate_bps, "
                      "c.stop_limit, c.cause, c.verdict, c.start_ns, c.raw, a.name FROM "
                      "site_capacity sc JOIN capacity c ON c.id = sc.cap_id JOIN agents a ON a.id "
                      "= c.agent_id WHERE sc.site_id = ?1 ORDER BY c.calls, c.target",
    [ST_Q_CAPTURES] = "SELECT start_ns, link, cls, src, dst, packets, lost, loss_pct, jitter_ms, "
                      "mos, verdict, raw FROM captures WHERE site_id = ?1 ORDER BY start_ns DESC "
                      "LIMIT 50",
    [ST_Q_LINKS] = "SELECT s.name, p.link, sum(h.intervals), sum(h.passed), sum(h.n), "
                   "sum(h.loss_fwd_sum), sum(h.loss_rev_sum), sum(h.jitter_fwd_sum), "
                   "sum(h.jitter_rev_sum), sum(h.rtt_sum) FROM path_hour h JOIN paths p ON p.id "
                   "= h.path_id JOIN sites s ON s.id = p.site_id WHERE h.hour >= ?1 AND h.hour < "
                   "?2 GROUP BY p.site_id, p.link ORDER BY s.name, p.link",
    [ST_PRUNE_CAPT] = "DELETE FROM captures WHERE start_ns < ?1",
    /* agents: what each said of itself, and the receipt time of its last upload (migration 3) */
    [ST_AGENT_NOTE] = "UPDATE agents SET last_upload_ns = max(coalesce(last_upload_ns, 0), ?2), "
                      "version = ?3, spool_records = ?4, quarantined = ?5, clock_sync = ?6, "
                      "links = ?7 WHERE id = ?1",
    [ST_AGENT_SEEN] =
        "UPDATE agents SET last_upload_ns = max(coalesce(last_upload_ns, 0), ?2) WHERE id = ?1",
    [ST_Q_AGENTS] = "SELECT s.name, a.name, a.version, a.last_upload_ns, a.spool_records, "
                    "a.quarantined, a.clock_sync, a.links FROM agents a JOIN sites s ON s.id = "
                    "a.site_id WHERE ?1 IS NULL OR a.site_id = ?1 ORDER BY s.name, a.name",
    /* counted intervals per class, the reasons' denominators: path_hour counts what site_hour
     * counts (vr_verdict_step_of), and a path is of one class and mark */
    [ST_Q_CLS] = "SELECT p.dscp != 0, p.cls, sum(h.intervals) FROM path_hour h JOIN paths p ON "
                 "p.id = h.path_id WHERE p.site_id = ?1 AND h.hour >= ?2 AND h.hour < ?3 GROUP "
                 "BY p.dscp != 0, p.cls",
    [ST_Q_CLS_ALL] = "SELECT p.dscp != 0, p.cls, sum(h.intervals), p.site_id FROM path_hour h "
                     "JOIN paths p ON p.id = h.path_id WHERE h.hour >= ?1 AND h.hour < ?2 GROUP "
                     "BY p.site_id, p.dscp != 0, p.cls",
};

/* Migrations: index i brings the schema from version i to i + 1, inside one transaction. */
static const char *const migrations[] = {
    /* 1: everything. No foreign keys on `records`: three parent lookups per row would cost the
     * hot path, and its parents are only ever inserted by the same ingest transaction. */
    "CREATE TABLE tokens(id INTEGER PRIMARY KEY, site TEXT NOT NULL, hash BLOB NOT NULL UNIQUE,"
    " created_ns INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE sites(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " first_seen_ns INTEGER NOT NULL, last_seen_ns INTEGER NOT NULL);"
    "CREATE TABLE agents(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " site_id INTEGER NOT NULL REFERENCES sites(id));"
    "CREATE INDEX agents_site ON agents(site_id);"
    "CREATE TABLE paths(id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL REFERENCES sites(id),"
    " cls TEXT NOT NULL, target TEXT NOT NULL, link TEXT NOT NULL, dscp INTEGER NOT NULL,"
    " UNIQUE(site_id, cls, target));"
    "CREATE TABLE runs(agent_id INTEGER NOT NULL REFERENCES agents(id), prefix TEXT NOT NULL,"
    " cls TEXT NOT NULL, hwm INTEGER NOT NULL, updated_ns INTEGER NOT NULL,"
    " PRIMARY KEY(agent_id, prefix, cls)) WITHOUT ROWID;"
    "CREATE TABLE records(id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL,"
    " agent_id INTEGER NOT NULL, path_id INTEGER NOT NULL, type INTEGER NOT NULL,"
    " rid TEXT NOT NULL, start_ns INTEGER NOT NULL, duration_s REAL, calls INTEGER,"
    " verdict INTEGER NOT NULL, sent INTEGER, loss_fwd_pct REAL, loss_rev_pct REAL,"
    " loss_pct REAL, rtt_ms_mean REAL, rtt_ms_p95 REAL, jitter_fwd_ms REAL, jitter_rev_ms REAL,"
    " mos REAL, raw TEXT NOT NULL);"
    "CREATE INDEX records_site_time ON records(site_id, start_ns);"
    "CREATE INDEX records_site_fail ON records(site_id, start_ns) WHERE verdict = 2 AND type = 0;"
    "CREATE TABLE path_hour(path_id INTEGER NOT NULL REFERENCES paths(id), hour INTEGER NOT NULL,"
    " intervals INTEGER NOT NULL, passed INTEGER NOT NULL, failed INTEGER NOT NULL,"
    " warned INTEGER NOT NULL, weight REAL NOT NULL, weight_passed REAL NOT NULL,"
    " n INTEGER NOT NULL, loss_fwd_sum REAL, loss_rev_sum REAL, rtt_sum REAL,"
    " jitter_fwd_sum REAL, jitter_rev_sum REAL, mos_sum REAL, mos_n INTEGER,"
    " dscp_fwd TEXT, dscp_rev TEXT, PRIMARY KEY(path_id, hour)) WITHOUT ROWID;"
    "CREATE TABLE site_hour(site_id INTEGER NOT NULL REFERENCES sites(id), hour INTEGER NOT NULL,"
    " mk INTEGER NOT NULL, intervals INTEGER NOT NULL, passed INTEGER NOT NULL,"
    " failed INTEGER NOT NULL, warned INTEGER NOT NULL, weight REAL NOT NULL,"
    " weight_passed REAL NOT NULL, marks_rewritten INTEGER NOT NULL,"
    " PRIMARY KEY(site_id, hour, mk)) WITHOUT ROWID;"
    "CREATE TABLE fail_hour(site_id INTEGER NOT NULL REFERENCES sites(id), hour INTEGER NOT NULL,"
    " mk INTEGER NOT NULL, ci INTEGER NOT NULL, metric INTEGER NOT NULL, dir INTEGER NOT NULL,"
    " lvl INTEGER NOT NULL, cls TEXT NOT NULL, count INTEGER NOT NULL, worst REAL NOT NULL,"
    " severity REAL NOT NULL, first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL,"
    " dscp INTEGER NOT NULL, dscp_seen INTEGER NOT NULL,"
    " PRIMARY KEY(site_id, hour, mk, ci, metric, dir, lvl)) WITHOUT ROWID;"
    /* the site list reads one window of all sites: covering indexes in hour order make it one
     * contiguous range instead of two lookups per site */
    "CREATE INDEX site_hour_window ON site_hour(hour, site_id, mk, intervals, passed, failed,"
    " warned, weight, weight_passed, marks_rewritten);"
    "CREATE INDEX fail_hour_window ON fail_hour(hour, site_id, mk, ci, metric, dir, lvl, cls,"
    " count, worst, severity, first_ns, last_ns, dscp, dscp_seen);",
    /* 2 (applied with foreign keys off): paths keyed by link kind as well; the capacity,
     * site_capacity and captures tables. */
    /* paths keyed by link kind too: the same target over wired and Wi-Fi are two paths, so that
     * Wi-Fi jitter is never averaged into (or blamed on) the wired path */
    "CREATE TABLE paths_new(id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL REFERENCES sites(id),"
    " cls TEXT NOT NULL, target TEXT NOT NULL, link TEXT NOT NULL, dscp INTEGER NOT NULL,"
    " UNIQUE(site_id, cls, target, link));"
    "INSERT INTO paths_new(id, site_id, cls, target, link, dscp)"
    " SELECT id, site_id, cls, target, link, dscp FROM paths;"
    "DROP TABLE paths;"
    "ALTER TABLE paths_new RENAME TO paths;"
    "CREATE TABLE capacity(id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL REFERENCES sites(id),"
    " agent_id INTEGER NOT NULL REFERENCES agents(id), rid TEXT NOT NULL,"
    " start_ns INTEGER NOT NULL, target TEXT NOT NULL, link TEXT NOT NULL,"
    " calls INTEGER NOT NULL, bps_fwd REAL, bps_rev REAL, max_rate_bps INTEGER,"
    " stop_limit TEXT NOT NULL, cause TEXT NOT NULL, verdict INTEGER NOT NULL, raw TEXT NOT NULL,"
    " UNIQUE(agent_id, rid));"
    "CREATE INDEX capacity_site_time ON capacity(site_id, start_ns);"
    "CREATE TABLE site_capacity(site_id INTEGER NOT NULL REFERENCES sites(id),"
    " target TEXT NOT NULL, cap_id INTEGER NOT NULL REFERENCES capacity(id),"
    " start_ns INTEGER NOT NULL, calls INTEGER NOT NULL, PRIMARY KEY(site_id, target))"
    " WITHOUT ROWID;"
    "CREATE TABLE captures(id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL REFERENCES sites(id),"
    " agent_id INTEGER NOT NULL REFERENCES agents(id), rid TEXT NOT NULL,"
    " start_ns INTEGER NOT NULL, link TEXT NOT NULL, cls TEXT NOT NULL, src TEXT NOT NULL,"
    " dst TEXT NOT NULL, packets INTEGER NOT NULL, lost INTEGER NOT NULL, loss_pct REAL,"
    " jitter_ms REAL, mos REAL, verdict INTEGER NOT NULL, raw TEXT NOT NULL,"
    " UNIQUE(agent_id, rid));"
    "CREATE INDEX captures_site_time ON captures(site_id, start_ns);",
    /* 3: the agents' liveness and what they say of themselves (rec_agent.h): the receipt time
     * of the last upload, version, spool backlog, quarantined records, clock sync (enum
     * vr_clock_sync) and link kinds (bit i: vr_rec_link_names[i]). Agents of an older database
     * start from their site's last record, so that a site silent since before the upgrade
     * reads Silent at once. */
    "ALTER TABLE agents ADD COLUMN last_upload_ns INTEGER;"
    "ALTER TABLE agents ADD COLUMN version TEXT;"
    "ALTER TABLE agents ADD COLUMN spool_records INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE agents ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE agents ADD COLUMN clock_sync INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE agents ADD COLUMN links INTEGER NOT NULL DEFAULT 0;"
    "UPDATE agents SET last_upload_ns = (SELECT s.last_seen_ns FROM sites s WHERE s.id ="
    " agents.site_id);",
    /* 4: episodes of failing intervals in each failure group (vr_verdict_group): how many, the
     * end of the first, the start of the latest, the worst one's range and the interval length
     * that splits them. An older row knew only its span: it becomes one episode over it, its
     * interval length the span over the count (exact when the intervals ran back to back, more
     * when not: only ever more slack, so an episode across two old rows stays one). */
    "ALTER TABLE fail_hour ADD COLUMN episodes INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE fail_hour ADD COLUMN first_end_ns INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE fail_hour ADD COLUMN last_start_ns INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE fail_hour ADD COLUMN worst_start_ns INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE fail_hour ADD COLUMN worst_end_ns INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE fail_hour ADD COLUMN step_ns INTEGER NOT NULL DEFAULT 0;"
    "UPDATE fail_hour SET first_end_ns = last_ns, last_start_ns = first_ns,"
    " worst_start_ns = first_ns, worst_end_ns = last_ns,"
    " step_ns = CASE WHEN count > 0 AND last_ns > first_ns THEN (last_ns - first_ns) / count"
    " ELSE 0 END;"
    /* the window index stays covering */
    "DROP INDEX fail_hour_window;"
    "CREATE INDEX fail_hour_window ON fail_hour(hour, site_id, mk, ci, metric, dir, lvl, cls,"
    " count, worst, severity, first_ns, last_ns, dscp, dscp_seen, episodes, first_end_ns,"
    " last_start_ns, worst_start_ns, worst_end_ns, step_ns);",
};
#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

/* ---- open, migrate, close -------------------------------------------------------------------- */

static int exec(struct vr_store *s, const char *sql, struct vr_errbuf *eb, const char *what)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int err = vr_errbuf_set(eb, sq_code(rc), "%s: %s: %s", s->path, what,
                                msg != NULL ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return err;
    }
    return 0;
}

static int migrate(struct vr_store *s, struct vr_errbuf *eb)
{
    int err = exec(s, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)", eb,
                   "creating schema_version");
    if (err < 0)
        return err;
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT coalesce(max(version), 0) FROM schema_version", -1,
                                &q, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, eb, "reading schema_version");
    rc = sqlite3_step(q);
    int64_t have = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    if (have < 0)
        return db_fail(s, rc, eb, "reading schema_version");
    if (have > (int64_t)N_MIGRATIONS)
        return vr_errbuf_set(eb, VR_EVERSION,
                             "%s: schema version %lld is newer than this collector's (%zu): "
                             "upgrade voiceready-collector or use another --db",
                             s->path, (long long)have, N_MIGRATIONS);
    for (size_t v = (size_t)have; v < N_MIGRATIONS; v++) {
        char sql[96];
        snprintf(sql, sizeof(sql), "INSERT INTO schema_version(version) VALUES (%zu)", v + 1);
        if ((err = exec(s, "BEGIN IMMEDIATE", eb, "starting a migration")) < 0)
            return err;
        if ((err = exec(s, migrations[v], eb, "migrating the schema")) < 0 ||
            (err = exec(s, sql, eb, "recording the schema version")) < 0 ||
            (err = exec(s, "COMMIT", eb, "committing a migration")) < 0) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return err;
        }
    }
    return 0;
}

int vr_store_open(const char *path, const struct vr_store_options *opt, struct vr_store **out,
                  struct vr_errbuf *eb)
{
    *out = NULL;
    if (path == NULL || path[0] == 0 || strlen(path) >= sizeof(((struct vr_store *)0)->path))
        return vr_errbuf_set(eb, VR_EINVAL, "--db: expected a file path of 1 to 255 bytes");
    struct vr_store *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", path);
    snprintf(s->path, sizeof(s->path), "%s", path);
    s->ph.size = sizeof(struct ph_acc);
    s->sh.size = sizeof(struct sh_acc);
    s->fg.size = sizeof(struct fg_acc);
    s->runs.size = sizeof(struct run_acc);
    s->seen.size = sizeof(struct seen_acc);
    s->agents_seen.size = sizeof(int64_t);
    s->thr_sites.size = sizeof(struct site_thr);
    if (opt != NULL)
        s->opt = *opt;
    if (s->opt.retention_days == 0)
        s->opt.retention_days = 30;
    if (s->opt.rollup_days == 0)
        s->opt.rollup_days = 400;
    if (s->opt.thresholds != NULL)
        s->thr = *s->opt.thresholds;
    else
        vr_thresholds_by_name("client", &s->thr, NULL);
    s->opt.thresholds = NULL; /* not kept: we hold a copy */

    int err;
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        err = vr_errbuf_set(eb, sq_code(rc), "%s: cannot open: %s", path,
                            s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* 16 KiB pages: a record row with its raw JSON is about 1.4 KB, and 4 KiB pages hold only
     * two of them (a third of each page wasted). Takes effect only on a new, empty file. */
    if ((err = exec(s, "PRAGMA page_size=16384", eb, "setting the page size")) < 0)
        goto fail;
    sqlite3_stmt *q = NULL;
    rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &q, NULL);
    if (rc != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW || strcmp(col_text(q, 0), "wal") != 0) {
        sqlite3_finalize(q);
        err = vr_errbuf_set(eb, -EIO, "%s: cannot switch to WAL: %s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    sqlite3_finalize(q);
    /* NORMAL: in WAL mode a crash can lose the last commits but never corrupts; the agent keeps
     * every record spooled until acknowledged, and acknowledges only after our commit returns. */
    if ((err = exec(s,
                    "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"
                    "PRAGMA cache_size=-65536",
                    eb, "setting pragmas")) < 0)
        goto fail;
    /* foreign keys are switched on after migrating: migration 2 rebuilds a parent table */
    if ((err = migrate(s, eb)) < 0 ||
        (err = exec(s, "PRAGMA foreign_keys=ON", eb, "setting pragmas")) < 0)
        goto fail;
    for (size_t i = 0; i < ST_COUNT; i++) {
        rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
        if (rc != SQLITE_OK) {
            err = db_fail(s, rc, eb, "preparing a statement");
            goto fail;
        }
    }
    if (s->opt.checkpoint_thread && (err = vr__store_ckpt_start(s->db, path, &s->ckpt, eb)) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    vr_store_close(s);
    return err;
}

void vr_store_close(struct vr_store *s)
{
    if (s == NULL)
        return;
    vr__store_ckpt_stop(s->ckpt, s->db);
    for (size_t i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    vr__store_cache_clear(&s->ids);
    free(s->ph.v);
    free(s->sh.v);
    free(s->fg.v);
    free(s->runs.v);
    free(s->seen.v);
    free(s->agents_seen.v);
    free(s->thr_sites.v);
    free(s);
}

/* ---- tokens ---------------------------------------------------------------------------------- */

int vr_store_token_add(struct vr_store *s, const char *site, const uint8_t hash[32],
                       int64_t *id_out, struct vr_errbuf *eb)
{
    size_t len = strlen(site);
    if (len == 0 || len >= sizeof(((struct vr_token *)0)->site))
        return vr_errbuf_set(eb, VR_EINVAL, "--site: expected a name of 1 to 63 bytes");
    sqlite3_stmt *x = st(s, ST_TOKEN_ADD);
    sqlite3_bind_text(x, 1, site, (int)len, SQLITE_STATIC);
    sqlite3_bind_blob(x, 2, hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(x, 3, (int64_t)vr_clock_wall_ns());
    int err = step_done(s, x, eb, "adding a token");
    if (err < 0)
        return err;
    *id_out = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static void token_fill(sqlite3_stmt *x, struct vr_token *t, bool with_revoked)
{
    memset(t, 0, sizeof(*t));
    t->id = sqlite3_column_int64(x, 0);
    snprintf(t->site, sizeof(t->site), "%s", col_text(x, 1));
    t->created_wall_ns = col_u64(x, 2);
    t->revoked = with_revoked && sqlite3_column_int(x, 3) != 0;
}

int vr_store_token_find(struct vr_store *s, const uint8_t hash[32], struct vr_token *out)
{
    sqlite3_stmt *x = st(s, ST_TOKEN_FIND);
    sqlite3_bind_blob(x, 1, hash, 32, SQLITE_STATIC);
    int rc = sqlite3_step(x);
    if (rc == SQLITE_ROW)
        token_fill(x, out, false);
    sqlite3_reset(x);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? VR_ENOTFOUND : sq_code(rc);
}

int vr_store_token_revoke(struct vr_store *s, int64_t id, struct vr_errbuf *eb)
{
    sqlite3_stmt *x = st(s, ST_TOKEN_REVOKE);
    sqlite3_bind_int64(x, 1, id);
    int err = step_done(s, x, eb, "revoking a token");
    if (err < 0)
        return err;
    if (sqlite3_changes(s->db) == 0)
        return vr_errbuf_set(eb, VR_ENOTFOUND, "token %lld: no such token (see token list)",
                             (long long)id);
    return 0;
}

int vr_store_token_list(struct vr_store *s, void (*cb)(void *arg, const struct vr_token *t),
                        void *arg, struct vr_errbuf *eb)
{
    sqlite3_stmt *x = st(s, ST_TOKEN_LIST);
    int rc;
    while ((rc = sqlite3_step(x)) == SQLITE_ROW) {
        struct vr_token t;
        token_fill(x, &t, true);
        cb(arg, &t);
    }
    sqlite3_reset(x);
    return rc == SQLITE_DONE ? 0 : db_fail(s, rc, eb, "listing tokens");
}

/* ---- retention ------------------------------------------------------------------------------- */

int vr_store_prune(struct vr_store *s, uint64_t now_wall_ns, struct vr_errbuf *eb)
{
    uint64_t raw_keep = (uint64_t)s->opt.retention_days * DAY_NS;
    uint64_t roll_keep = (uint64_t)s->opt.rollup_days * DAY_NS;
    int64_t raw_cut = now_wall_ns > raw_keep ? (int64_t)(now_wall_ns - raw_keep) : 0;
    int64_t roll_hour =
        now_wall_ns > roll_keep ? (int64_t)((now_wall_ns - roll_keep) / HOUR_NS) : 0;
    int err, rc;
    /* site by site so that each delete walks the (site_id, start_ns) index */
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *q = st(s, ST_SITE_LIST);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap == 0 ? 64 : cap * 2;
            int64_t *ni = realloc(ids, cap * sizeof(*ids));
            if (ni == NULL) {
                sqlite3_reset(q);
                free(ids);
                return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
            }
            ids = ni;
        }
        ids[n++] = sqlite3_column_int64(q, 0);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        free(ids);
        return db_fail(s, rc, eb, "listing sites");
    }
    /* one transaction per site: a day of 1,000 sites is gigabytes of rows, and one transaction
     * for all would grow the WAL by as much; ingest waits only for one site's share */
    for (size_t i = 0; i < n; i++) {
        static const struct {
            enum stmt k;
            const char *what;
        } del[] = {{ST_PRUNE_REC, "pruning records"},
                   {ST_PRUNE_SH, "pruning site rollups"},
                   {ST_PRUNE_FG, "pruning failure groups"},
                   {ST_PRUNE_PH, "pruning path rollups"}};
        if ((err = step_done(s, st(s, ST_BEGIN), eb, "starting a prune")) < 0) {
            free(ids);
            return err;
        }
        for (size_t k = 0; k < sizeof(del) / sizeof(del[0]); k++) {
            sqlite3_stmt *x = st(s, del[k].k);
            sqlite3_bind_int64(x, 1, ids[i]);
            sqlite3_bind_int64(x, 2, del[k].k == ST_PRUNE_REC ? raw_cut : roll_hour);
            if ((err = step_done(s, x, eb, del[k].what)) < 0)
                goto fail;
        }
        if ((err = step_done(s, st(s, ST_COMMIT), eb, "committing a prune")) < 0)
            goto fail;
    }
    /* a run whose records are all past retention needs no high-water mark any more */
    sqlite3_stmt *x = st(s, ST_PRUNE_RUNS);
    sqlite3_bind_int64(x, 1, raw_cut);
    if ((err = step_done(s, x, eb, "pruning high-water marks")) < 0) {
        free(ids);
        vr__store_cache_clear(&s->ids);
        return err;
    }
    free(ids);
    vr__store_cache_clear(&s->ids);
    /* capture records are kept as long as raw interval records */
    x = st(s, ST_PRUNE_CAPT);
    sqlite3_bind_int64(x, 1, raw_cut);
    return step_done(s, x, eb, "pruning capture records");
fail:
    sqlite3_step(st(s, ST_ROLLBACK));
    sqlite3_reset(s->st[ST_ROLLBACK]);
    vr__store_cache_clear(&s->ids);
    free(ids);
    return err;
}
