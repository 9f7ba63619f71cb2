//! Hand-written SQL that PostgreSQL prepares once per connection.
//!
//! diesel's own `sql_query` marks every statement unsafe to cache, so each
//! call is parsed and planned again: for the intake's multi-row statements
//! and the outbox claims that is PostgreSQL CPU spent on every batch. This
//! query type is the same raw SQL with `$n` binds, cached by its text (the
//! texts are constants, or built from a bounded set of filter pieces, never
//! from values).

use std::borrow::Cow;

use diesel::QueryResult;
use diesel::pg::Pg;
use std::marker::PhantomData;

use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::HasSqlType;
use diesel::sql_types::Untyped;

/// Raw SQL, prepared once per connection and reused.
#[must_use = "Queries are only executed when calling `load`, `get_result` or similar."]
pub(crate) struct CachedSql(Cow<'static, str>);

/// Raw SQL whose prepared statement is kept and reused (binds `$1` ... as
/// [`CachedSql::bind`] adds them).
pub(crate) fn sql_query(sql: impl Into<Cow<'static, str>>) -> CachedSql {
    CachedSql(sql.into())
}

impl CachedSql {
    /// Binds `$1`.
    pub(crate) fn bind<ST, Value>(self, value: Value) -> Bound<Self, Value, ST> {
        Bound::new(self, value)
    }
}

/// A query with one more bind value (`$n`, in order).
#[must_use = "Queries are only executed when calling `load`, `get_result` or similar."]
pub(crate) struct Bound<Q, Value, ST> {
    query: Q,
    value: Value,
    _type: PhantomData<ST>,
}

impl<Q, Value, ST> Bound<Q, Value, ST> {
    fn new(query: Q, value: Value) -> Self {
        Self {
            query,
            value,
            _type: PhantomData,
        }
    }

    /// Binds the next `$n`.
    pub(crate) fn bind<ST2, Value2>(self, value: Value2) -> Bound<Self, Value2, ST2> {
        Bound::new(self, value)
    }
}

impl<Q, Value, ST> QueryFragment<Pg> for Bound<Q, Value, ST>
where
    Pg: HasSqlType<ST>,
    Q: QueryFragment<Pg>,
    Value: ToSql<ST, Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_bind_param_value_only(&self.value)?;
        Ok(())
    }
}

impl<Q, Value, ST> QueryId for Bound<Q, Value, ST> {
    type QueryId = ();

    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, Value, ST> Query for Bound<Q, Value, ST> {
    type SqlType = Untyped;
}

impl QueryFragment<Pg> for CachedSql {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(&self.0);
        Ok(())
    }
}

impl QueryId for CachedSql {
    type QueryId = ();

    // No static id: the cache key is the SQL text and the bind types.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for CachedSql {
    type SqlType = Untyped;
}
