//! [`StoreHealth`] over Diesel: one `SELECT 1`.

use billing_domain::RepoError;
use billing_domain::ports::StoreHealth;
use diesel::RunQueryDsl;

use crate::repo::Db;

/// Liveness of the database.
#[derive(Clone)]
pub(crate) struct HealthRepo(pub(crate) Db);

#[async_trait::async_trait]
impl StoreHealth for HealthRepo {
    async fn ping(&self) -> Result<(), RepoError> {
        self.0
            .run(|conn| {
                diesel::sql_query("SELECT 1").execute(conn)?;
                Ok(())
            })
            .await
    }
}
