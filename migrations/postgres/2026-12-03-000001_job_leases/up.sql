-- Singleton background jobs (the janitors): one process at a time runs each. A process
-- holds a job's lease until leased_until and renews it every pass; a lease not renewed in
-- time (the process died) is free for another.
CREATE TABLE job_leases (
    job           TEXT PRIMARY KEY,
    holder        TEXT NOT NULL,
    leased_until  TIMESTAMPTZ NOT NULL
);
