//! `kv` (reference §5.11): process-wide ETS-like tables shared by every
//! script, state and call. Thread-safe (`Send + Sync`).
//!
//! - `ensure_table({name=, type=})`: creates the table if absent (default
//!   name `simple_kv`, type `set`; also `ordered_set`, `bag`,
//!   `duplicate_bag`); calling it again is a no-op (the first type stays).
//! - `insert(name, {k = v, ...})`: one row per pair; values are stored as
//!   decoded values (nested tables survive). `insert_new`: `false` and
//!   nothing inserted if any key exists.
//! - `lookup(name, key)` → an array of the stored values (empty for none;
//!   several for bags, in insertion order).
//! - `delete(name, key)`, `delete_all(name)` → `true`.
//! - Unknown table → Lua error `unknown_pool`; a non-table where a table is
//!   needed → `execute_parse`; non-string keys in `insert` → `execute_parse`
//!   (VerneMQ: hard failure).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex, RwLock};

use super::ModuleError;
use crate::pvalue::PValue;

/// ETS table type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableType {
    Set,
    OrderedSet,
    Bag,
    DuplicateBag,
}

impl TableType {
    pub fn from_name(s: &[u8]) -> Option<TableType> {
        match s {
            b"set" => Some(TableType::Set),
            b"ordered_set" => Some(TableType::OrderedSet),
            b"bag" => Some(TableType::Bag),
            b"duplicate_bag" => Some(TableType::DuplicateBag),
            _ => None,
        }
    }
}

/// One table. Keys are Lua strings; each key holds one value (sets) or
/// several (bags).
#[derive(Debug)]
pub struct KvTable {
    ty: TableType,
    rows: Mutex<BTreeMap<Vec<u8>, Vec<PValue>>>,
}

impl KvTable {
    pub fn table_type(&self) -> TableType {
        self.ty
    }

    fn put(&self, rows: &mut BTreeMap<Vec<u8>, Vec<PValue>>, k: Vec<u8>, v: PValue) {
        let slot = rows.entry(k).or_default();
        match self.ty {
            TableType::Set | TableType::OrderedSet => {
                slot.clear();
                slot.push(v);
            }
            TableType::Bag => {
                if !slot.contains(&v) {
                    slot.push(v);
                }
            }
            TableType::DuplicateBag => slot.push(v),
        }
    }

    /// Insert pairs; `new_only`: refuse (and insert nothing) if any key exists.
    pub fn insert(&self, pairs: Vec<(Vec<u8>, PValue)>, new_only: bool) -> bool {
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        if new_only && pairs.iter().any(|(k, _)| rows.get(k).is_some_and(|v| !v.is_empty())) {
            return false;
        }
        for (k, v) in pairs {
            self.put(&mut rows, k, v);
        }
        true
    }

    pub fn lookup(&self, key: &[u8]) -> Vec<PValue> {
        let rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        rows.get(key).cloned().unwrap_or_default()
    }

    pub fn delete(&self, key: &[u8]) {
        self.rows.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }

    pub fn delete_all(&self) {
        self.rows.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    pub fn len(&self) -> usize {
        self.rows.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A namespace of named tables.
#[derive(Debug, Default)]
pub struct KvStore {
    tables: RwLock<HashMap<Vec<u8>, Arc<KvTable>>>,
}

static GLOBAL: LazyLock<KvStore> = LazyLock::new(KvStore::default);

impl KvStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The process-wide store (what Lua's `kv` uses).
    pub fn global() -> &'static KvStore {
        &GLOBAL
    }

    /// Create the table if absent; returns it.
    pub fn ensure(&self, name: &[u8], ty: TableType) -> Arc<KvTable> {
        if let Some(t) = self.get(name) {
            return t;
        }
        let mut tables = self.tables.write().unwrap_or_else(|e| e.into_inner());
        tables.entry(name.to_vec()).or_insert_with(|| Arc::new(KvTable { ty, rows: Mutex::new(BTreeMap::new()) })).clone()
    }

    pub fn get(&self, name: &[u8]) -> Option<Arc<KvTable>> {
        self.tables.read().unwrap_or_else(|e| e.into_inner()).get(name).cloned()
    }

    fn table(&self, f: &'static str, name: &PValue) -> Result<Arc<KvTable>, ModuleError> {
        let name = name.as_bytes().ok_or_else(|| ModuleError::new(f, "execute_parse"))?;
        self.get(name).ok_or_else(|| ModuleError::new(f, "unknown_pool"))
    }

    /// `kv.ensure_table(opts)` → `true`.
    pub fn ensure_table(&self, opts: &PValue) -> Result<PValue, ModuleError> {
        const F: &str = "kv.ensure_table";
        if !opts.is_table() {
            return Err(ModuleError::new(F, "execute_parse"));
        }
        let name = match opts.get("name") {
            None => b"simple_kv".to_vec(),
            Some(v) => v.as_bytes().ok_or_else(|| ModuleError::new(F, "execute_parse"))?.to_vec(),
        };
        let ty = match opts.get("type") {
            None => TableType::Set,
            Some(v) => v.as_bytes().and_then(TableType::from_name).ok_or_else(|| ModuleError::new(F, "execute_parse: bad table type"))?,
        };
        self.ensure(&name, ty);
        Ok(PValue::Bool(true))
    }

    fn pairs(f: &'static str, obj: &PValue) -> Result<Vec<(Vec<u8>, PValue)>, ModuleError> {
        match obj {
            PValue::Map(pairs) => pairs
                .iter()
                .filter(|(_, v)| !v.is_nil())
                .map(|(k, v)| {
                    k.as_bytes().map(|k| (k.to_vec(), v.clone())).ok_or_else(|| ModuleError::new(f, "execute_parse: keys must be strings"))
                })
                .collect(),
            PValue::Array(a) if a.is_empty() => Ok(Vec::new()),
            _ => Err(ModuleError::new(f, "execute_parse: expected a key/value table")),
        }
    }

    /// `kv.insert(name, obj)` → `true`.
    pub fn insert(&self, name: &PValue, obj: &PValue) -> Result<PValue, ModuleError> {
        const F: &str = "kv.insert";
        let t = self.table(F, name)?;
        t.insert(Self::pairs(F, obj)?, false);
        Ok(PValue::Bool(true))
    }

    /// `kv.insert_new(name, obj)` → `true`, or `false` if any key exists.
    pub fn insert_new(&self, name: &PValue, obj: &PValue) -> Result<PValue, ModuleError> {
        const F: &str = "kv.insert_new";
        let t = self.table(F, name)?;
        Ok(PValue::Bool(t.insert(Self::pairs(F, obj)?, true)))
    }

    /// `kv.lookup(name, key)` → array of values.
    pub fn lookup(&self, name: &PValue, key: &PValue) -> Result<PValue, ModuleError> {
        let t = self.table("kv.lookup", name)?;
        let vals = match key.as_bytes() {
            Some(k) => t.lookup(k),
            None => Vec::new(),
        };
        Ok(if vals.is_empty() { PValue::empty_table() } else { PValue::Array(vals) })
    }

    /// `kv.delete(name, key)` → `true`.
    pub fn delete(&self, name: &PValue, key: &PValue) -> Result<PValue, ModuleError> {
        let t = self.table("kv.delete", name)?;
        if let Some(k) = key.as_bytes() {
            t.delete(k);
        }
        Ok(PValue::Bool(true))
    }

    /// `kv.delete_all(name)` → `true`.
    pub fn delete_all(&self, name: &PValue) -> Result<PValue, ModuleError> {
        self.table("kv.delete_all", name)?.delete_all();
        Ok(PValue::Bool(true))
    }

    /// Dispatch a Lua call `kv.<function>(args...)`.
    pub fn call(&self, function: &str, args: &[PValue]) -> Result<PValue, ModuleError> {
        let a = |i: usize| args.get(i).unwrap_or(&PValue::Nil);
        match function {
            "ensure_table" => self.ensure_table(a(0)),
            "insert" => self.insert(a(0), a(1)),
            "insert_new" => self.insert_new(a(0), a(1)),
            "lookup" => self.lookup(a(0), a(1)),
            "delete" => self.delete(a(0), a(1)),
            "delete_all" => self.delete_all(a(0)),
            _ => Err(ModuleError::new("kv", format!("no function {function}"))),
        }
    }
}

/// The Lua functions of `kv`.
pub const FUNCTIONS: [&str; 6] = ["ensure_table", "insert", "insert_new", "lookup", "delete", "delete_all"];
