//! stub
use crate::pvalue::PValue;
use super::PResult;
#[derive(Clone, Debug, Default)]
pub struct Defaults;
impl Defaults { pub fn mysql() -> Self { Defaults } pub fn mysql2() -> Self { Defaults } }
#[derive(Clone, Copy)] pub enum Flavor { Mysql, Mysql2 }
pub struct MySql;
impl MySql {
    pub fn new(_f: Flavor, _d: Defaults) -> Self { MySql }
    pub async fn call(&self, f: &str, _a: &[PValue]) -> PResult { Err(super::no_such_function("mysql", f)) }
}
