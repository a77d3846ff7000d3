//! [`JobLeaseRepository`] over Diesel: one conditional upsert decides the holder.

use billing_domain::RepoError;
use billing_domain::ports::JobLeaseRepository;
use diesel::prelude::*;
use time::OffsetDateTime;

use crate::convert::ts;
use crate::dialect::write_transaction;
use crate::repo::Db;
use crate::schema::job_leases::dsl as jl;

/// Leases on singleton background jobs.
#[derive(Clone)]
pub(crate) struct JobLeaseRepo(pub(crate) Db);

#[async_trait::async_trait]
impl JobLeaseRepository for JobLeaseRepo {
    async fn acquire(
        &self,
        job: &str,
        holder: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        let (job, holder) = (job.to_owned(), holder.to_owned());
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    // Renew ours, or take one that ran out: a single guarded update.
                    let taken = diesel::update(jl::job_leases.find(&job))
                        .filter(jl::holder.eq(&holder).or(jl::leased_until.le(ts(now))))
                        .set((jl::holder.eq(&holder), jl::leased_until.eq(ts(until))))
                        .execute(conn)?;
                    if taken == 1 {
                        return Ok(true);
                    }
                    // Never taken: the first insert wins, the others see its row.
                    let statement = diesel::insert_into(jl::job_leases).values((
                        jl::job.eq(&job),
                        jl::holder.eq(&holder),
                        jl::leased_until.eq(ts(until)),
                    ));
                    let inserted = match conn {
                        crate::pool::AnyConnection::Postgres(c) => {
                            statement.on_conflict_do_nothing().execute(c)?
                        }
                        crate::pool::AnyConnection::Sqlite(c) => {
                            statement.on_conflict_do_nothing().execute(c)?
                        }
                    };
                    Ok(inserted == 1)
                })
            })
            .await
    }

    async fn release(&self, job: &str, holder: &str) -> Result<(), RepoError> {
        let (job, holder) = (job.to_owned(), holder.to_owned());
        self.0
            .run(move |conn| {
                diesel::delete(jl::job_leases.find(&job))
                    .filter(jl::holder.eq(&holder))
                    .execute(conn)?;
                Ok(())
            })
            .await
    }
}
