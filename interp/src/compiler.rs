//! Compiler: AST → [`Proto`] (Lua 5.2 register bytecode).
//!
//! The structure follows PUC Lua's one-pass code generator, applied to an
//! already parsed tree: this file holds the per-function state, scopes,
//! locals, labels/gotos and statements (PUC's `lparser.c` code-generation
//! half); [`code`] holds the instruction-level machinery (`lcode.c`:
//! expression descriptors, jump lists, registers, constants, folding) and
//! [`expr`] compiles expressions. Producing PUC's code shape matters beyond
//! aesthetics: the VM names values in error messages by symbolic execution
//! over the bytecode (`global 'f'`, `field 'x'`, `method 'm'`, `upvalue 'u'`).
//!
//! Main invariant: at statement boundaries `freereg == nactvar`, i.e. only
//! the active locals (registers `0..nactvar`, in declaration order) are live.
//!
//! Recursion: the parser bounds nesting (parentheses, blocks, functions, right
//! operands) to about 200 levels, but left-associative chains (`a+b+c...`,
//! `a.b.c...`, `f(1)(2)...`) and operator chains in general arrive as
//! deep trees; [`expr`] evaluates them with explicit stacks, so Rust stack
//! use is proportional to the parser's nesting limit only.

mod code;
mod expr;

use crate::ast::{self, Block, FuncBody, Name, Stat};
use crate::opcodes::{OpCode, MAXARG_BX};
use crate::proto::{chunk_id, LocVar, Proto, SyntaxError, UpvalDesc};
use code::{ExpDesc, ExpKind, KKey, MULTRET, NO_JUMP};
use std::collections::HashMap;
use std::rc::Rc;

/// Maximum number of local variables per function (PUC's `MAXVARS`).
const MAXVARS: usize = 200;
/// Maximum number of upvalues per function (PUC's `MAXUPVAL`).
const MAXUPVAL: usize = 255;

/// A compile error before formatting: message and the line it is reported at.
#[derive(Debug)]
pub(crate) struct CompileError {
    pub line: u32,
    pub msg: String,
}

pub(crate) type CResult<T> = Result<T, Box<CompileError>>;

/// The token an error is "near", when the compiler can tell.
type Near = Option<&'static str>;

/// A variable name as the compiler compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sym {
    Name(Name),
    /// `_ENV` when the source never spells it (so it is not interned).
    Env,
    /// Internal locals such as `(for index)`: never found by name lookup.
    Hidden,
}

/// A label or a pending goto. For a goto, `pc` is a jump list.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LabelDesc {
    /// `None` is the implicit `break` label.
    name: Option<Name>,
    line: u32,
    pc: i32,
    /// Active locals at the label / goto.
    nactvar: u32,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockCnt {
    firstlabel: usize,
    firstgoto: usize,
    /// Active locals outside the block.
    nactvar: u32,
    /// Some local of the block is captured by a closure.
    upval: bool,
    isloop: bool,
}

/// A declared local: its name and its entry in `Proto::loc_vars`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ActVar {
    sym: Sym,
    idx: usize,
}

/// State of one function being compiled.
pub(crate) struct FuncState {
    pub f: Proto,
    pub kcache: HashMap<KKey, u32>,
    pub blocks: Vec<BlockCnt>,
    /// Declared locals (active ones first: `actvar[..nactvar]` sit in registers `0..nactvar`).
    pub actvar: Vec<ActVar>,
    pub nactvar: u32,
    pub freereg: u32,
    /// Jumps to the next instruction emitted.
    pub jpc: i32,
    /// Last pc that is a jump target (LOADNIL merging must not cross it).
    pub lasttarget: usize,
    pub labels: Vec<LabelDesc>,
    pub gotos: Vec<LabelDesc>,
    pub upval_names: Vec<Sym>,
    /// Line given to emitted instructions (PUC's `lastline`).
    pub line: u32,
    /// Line of errors raised when the function is closed (undefined gotos).
    pub close_line: u32,
    /// An error found where returning it is awkward (jump fix-ups); reported
    /// at the end of the current statement.
    pub pending_error: Option<Box<CompileError>>,
}

struct Compiler<'a> {
    names: &'a lasso::Rodeo,
    source: Rc<[u8]>,
    /// How `_ENV` is spelled in name comparisons.
    env: Sym,
    funcs: Vec<FuncState>,
    /// Line of the token following the statement being compiled (errors
    /// found when a function statement's body closes are reported there).
    next_stat_line: u32,
    /// Highest line seen so far: approximates the line of the last token
    /// consumed (PUC's `lastline`).
    maxline: u32,
}

/// Compile a parsed chunk into the main function's prototype (vararg, one
/// upvalue `_ENV`).
pub fn compile_chunk(chunk: &ast::Chunk, names: &lasso::Rodeo, chunkname: &[u8]) -> Result<Proto, SyntaxError> {
    let mut c = Compiler {
        names,
        source: chunkname.into(),
        env: names.get("_ENV").map(Sym::Name).unwrap_or(Sym::Env),
        funcs: Vec::new(),
        next_stat_line: 0,
        maxline: 1,
    };
    c.main_func(chunk).map_err(|e| {
        // A deferred error was found before the one returned, if any.
        let e = c.funcs.iter_mut().find_map(|f| f.pending_error.take()).unwrap_or(e);
        let mut message = String::from_utf8_lossy(&chunk_id(chunkname)).into_owned();
        message.push_str(&format!(":{}: {}", e.line, e.msg));
        SyntaxError { message, incomplete_input: false }
    })
}

impl<'a> Compiler<'a> {
    fn fs(&mut self) -> &mut FuncState {
        self.funcs.last_mut().expect("no function being compiled")
    }

    /// Note that tokens up to line `line` have been consumed. PUC stamps each
    /// instruction with the line of the last consumed token, which never
    /// decreases, so the current line is the highest line seen so far.
    fn set_line(&mut self, line: u32) {
        if line > self.maxline {
            self.maxline = line;
        }
        let m = self.maxline;
        self.fs().line = m;
    }

    fn name_str(&self, n: Name) -> &'a str {
        self.names.resolve(&n)
    }

    fn sym_str(&self, s: Sym) -> &'a str {
        match s {
            Sym::Name(n) => self.name_str(n),
            Sym::Env => "_ENV",
            Sym::Hidden => "?",
        }
    }

    /// `too many <what> (limit is N) in <function>` at the current line.
    /// PUC adds ` near <token>` with the token being read; the AST keeps no
    /// tokens, so `near` is given only where the grammar determines it.
    fn error_limit(&mut self, limit: usize, what: &str, near: Near) -> Box<CompileError> {
        let fs = self.fs();
        let place = if fs.f.line_defined == 0 { "main function".to_owned() } else { format!("function at line {}", fs.f.line_defined) };
        let near = near.map_or(String::new(), |t| format!(" near '{t}'"));
        fs.error(&format!("too many {what} (limit is {limit}) in {place}{near}"))
    }

    // ------------------------------------------------------------------
    // Functions
    // ------------------------------------------------------------------

    fn open_func(&mut self, line_defined: u32) {
        let line = self.maxline;
        let f = Proto { source: self.source.clone(), line_defined, max_stack_size: 2, ..Proto::default() };
        self.funcs.push(FuncState {
            f,
            kcache: HashMap::new(),
            blocks: Vec::new(),
            actvar: Vec::new(),
            nactvar: 0,
            freereg: 0,
            jpc: NO_JUMP,
            lasttarget: 0,
            labels: Vec::new(),
            gotos: Vec::new(),
            upval_names: Vec::new(),
            line: line.max(line_defined),
            close_line: line_defined,
            pending_error: None,
        });
        self.enter_block(false);
    }

    fn close_func(&mut self) -> CResult<Proto> {
        self.fs().ret(0, 0);
        self.leave_block()?;
        let fs = self.funcs.pop().expect("function stack underflow");
        if let Some(e) = fs.pending_error {
            return Err(e);
        }
        debug_assert!(fs.blocks.is_empty() && fs.f.code.len() == fs.f.line_info.len());
        Ok(fs.f)
    }

    fn main_func(&mut self, chunk: &ast::Chunk) -> CResult<Proto> {
        self.open_func(0);
        let env = self.env;
        let fs = self.fs();
        fs.f.is_vararg = true;
        fs.f.upvalues.push(UpvalDesc { name: Some("_ENV".into()), in_stack: true, index: 0 });
        fs.upval_names.push(env);
        fs.close_line = chunk.last_line;
        self.statlist(&chunk.body, 0, false)?;
        // The final RETURN carries the line of the last token.
        self.close_func()
    }

    /// `body -> '(' parlist ')' block END`: compile a function and leave its
    /// closure in the next free register of the enclosing function.
    /// `close_line` is the line of the token after `end` when known.
    fn body(&mut self, func: &FuncBody, close_line: u32) -> CResult<ExpDesc> {
        self.set_line(func.line);
        self.open_func(func.line);
        self.fs().close_line = close_line.max(func.end_line);
        for (i, &p) in func.params.iter().enumerate() {
            let near = if i + 1 < func.params.len() || func.is_vararg { "," } else { ")" };
            self.new_localvar(Sym::Name(p), self.name_str(p), Some(near))?;
        }
        let n = func.params.len() as u32;
        self.adjust_localvars(n);
        let fs = self.fs();
        fs.f.num_params = fs.nactvar as u8;
        fs.f.is_vararg = func.is_vararg;
        fs.reserve_regs(n)?;
        self.statlist(&func.body, 0, false)?;
        self.fs().f.last_line_defined = func.end_line;
        self.set_line(func.end_line);
        let proto = self.close_func()?;
        self.set_line(func.end_line);
        let fs = self.fs();
        if fs.f.protos.len() as u32 > MAXARG_BX {
            return Err(self.error_limit(MAXARG_BX as usize + 1, "functions", None));
        }
        fs.f.protos.push(Rc::new(proto));
        let bx = fs.f.protos.len() as u32 - 1;
        let mut e = ExpDesc::new(ExpKind::Relocable(fs.code_abx(OpCode::Closure, 0, bx)));
        fs.exp2nextreg(&mut e)?;
        Ok(e)
    }

    // ------------------------------------------------------------------
    // Variables
    // ------------------------------------------------------------------

    /// Declare a local (not yet active). `near` is the token that follows
    /// its name, if known (for the limit error).
    fn new_localvar(&mut self, sym: Sym, name: &str, near: Near) -> CResult<()> {
        if self.fs().actvar.len() + 1 > MAXVARS {
            return Err(self.error_limit(MAXVARS, "local variables", near));
        }
        let fs = self.fs();
        fs.f.loc_vars.push(LocVar { name: name.into(), start_pc: 0, end_pc: 0 });
        let idx = fs.f.loc_vars.len() - 1;
        fs.actvar.push(ActVar { sym, idx });
        Ok(())
    }

    /// Activate the last `n` declared locals.
    fn adjust_localvars(&mut self, n: u32) {
        let fs = self.fs();
        fs.nactvar += n;
        let pc = fs.pc() as u32;
        for i in (fs.nactvar - n)..fs.nactvar {
            let idx = fs.actvar[i as usize].idx;
            fs.f.loc_vars[idx].start_pc = pc;
        }
    }

    fn remove_vars(&mut self, tolevel: u32) {
        let fs = self.fs();
        let pc = fs.pc() as u32;
        while fs.nactvar > tolevel {
            fs.nactvar -= 1;
            let idx = fs.actvar[fs.nactvar as usize].idx;
            fs.f.loc_vars[idx].end_pc = pc;
        }
        fs.actvar.truncate(tolevel as usize);
    }

    /// Resolve `name` as a local or upvalue of the current function, creating
    /// upvalues along the chain of enclosing functions as needed. `None`
    /// means a global.
    fn resolve(&mut self, name: Sym) -> CResult<Option<ExpKind>> {
        let top = self.funcs.len() - 1;
        let mut level = top;
        let mut found = loop {
            let fs = &mut self.funcs[level];
            if let Some(reg) = (0..fs.nactvar).rev().find(|&i| fs.actvar[i as usize].sym == name) {
                if level != top {
                    // Mark the block declaring it: leaving it must close upvalues.
                    let bi = fs.blocks.iter().rposition(|b| b.nactvar <= reg).unwrap_or(0);
                    fs.blocks[bi].upval = true;
                }
                break ExpKind::Local(reg);
            }
            if let Some(u) = fs.upval_names.iter().position(|&s| s == name) {
                break ExpKind::Upval(u as u32);
            }
            if level == 0 {
                return Ok(None);
            }
            level -= 1;
        };
        while level < top {
            level += 1;
            if self.funcs[level].upval_names.len() + 1 > MAXUPVAL {
                // Reported against the function whose limit is exceeded.
                let defined = self.funcs[level].f.line_defined;
                let place = if defined == 0 { "main function".to_owned() } else { format!("function at line {defined}") };
                let msg = format!("too many upvalues (limit is {MAXUPVAL}) in {place}");
                return Err(self.fs().error(&msg));
            }
            let name_str = self.sym_str(name);
            let fs = &mut self.funcs[level];
            let (in_stack, index) = match found {
                ExpKind::Local(r) => (true, r),
                ExpKind::Upval(u) => (false, u),
                _ => unreachable!(),
            };
            fs.f.upvalues.push(UpvalDesc { name: Some(name_str.into()), in_stack, index: index as u8 });
            fs.upval_names.push(name);
            found = ExpKind::Upval(fs.upval_names.len() as u32 - 1);
        }
        Ok(Some(found))
    }

    // ------------------------------------------------------------------
    // Blocks, labels and gotos
    // ------------------------------------------------------------------

    fn enter_block(&mut self, isloop: bool) {
        let fs = self.fs();
        debug_assert_eq!(fs.freereg, fs.nactvar);
        let bl = BlockCnt { firstlabel: fs.labels.len(), firstgoto: fs.gotos.len(), nactvar: fs.nactvar, upval: false, isloop };
        fs.blocks.push(bl);
    }

    fn leave_block(&mut self) -> CResult<()> {
        let fs = self.fs();
        let bl = *fs.blocks.last().expect("no block");
        let has_previous = fs.blocks.len() > 1;
        if has_previous && bl.upval {
            // Leaving the scope of captured locals: a jump-to-next that closes them.
            let j = fs.jump();
            fs.patch_close(j, bl.nactvar);
            fs.patch_to_here(j);
        }
        if bl.isloop {
            // Pending breaks of the loop jump here.
            let fs = self.fs();
            let pc = fs.pc() as i32;
            let nactvar = fs.nactvar;
            fs.labels.push(LabelDesc { name: None, line: 0, pc, nactvar });
            let idx = fs.labels.len() - 1;
            self.find_gotos(idx)?;
        }
        self.fs().blocks.pop();
        self.remove_vars(bl.nactvar);
        let fs = self.fs();
        debug_assert_eq!(bl.nactvar, fs.nactvar);
        fs.freereg = fs.nactvar;
        fs.labels.truncate(bl.firstlabel);
        if has_previous {
            self.move_gotos_out(bl)
        } else if bl.firstgoto < fs.gotos.len() {
            let gt = fs.gotos[bl.firstgoto];
            let msg = match gt.name {
                None => format!("<break> at line {} not inside a loop", gt.line),
                Some(n) => format!("no visible label '{}' for <goto> at line {}", self.name_str(n), gt.line),
            };
            let line = self.fs().close_line;
            Err(Box::new(CompileError { line, msg }))
        } else {
            Ok(())
        }
    }

    /// Pending gotos of a block being left now belong to the enclosing block.
    fn move_gotos_out(&mut self, bl: BlockCnt) -> CResult<()> {
        let mut i = bl.firstgoto;
        while i < self.fs().gotos.len() {
            let fs = self.fs();
            let gt = fs.gotos[i];
            if gt.nactvar > bl.nactvar {
                if bl.upval {
                    fs.patch_close(gt.pc, bl.nactvar);
                }
                fs.gotos[i].nactvar = bl.nactvar;
            }
            if !self.find_label(i)? {
                i += 1;
            }
        }
        Ok(())
    }

    /// Try to resolve goto `g` with a label already visible in the current block.
    fn find_label(&mut self, g: usize) -> CResult<bool> {
        let fs = self.fs();
        let bl = *fs.blocks.last().expect("no block");
        let gt = fs.gotos[g];
        let Some(lb) = fs.labels[bl.firstlabel..].iter().find(|l| l.name == gt.name).copied() else {
            return Ok(false);
        };
        if gt.nactvar > lb.nactvar {
            // Backward jump out of the scope of locals: close them.
            fs.patch_close(gt.pc, lb.nactvar);
        }
        self.close_goto(g, lb)?;
        Ok(true)
    }

    /// Resolve the pending gotos of the current block that target label `l`.
    fn find_gotos(&mut self, l: usize) -> CResult<()> {
        let fs = self.fs();
        let lb = fs.labels[l];
        let mut i = fs.blocks.last().expect("no block").firstgoto;
        while i < self.fs().gotos.len() {
            if self.fs().gotos[i].name == lb.name {
                self.close_goto(i, lb)?;
            } else {
                i += 1;
            }
        }
        Ok(())
    }

    fn close_goto(&mut self, g: usize, lb: LabelDesc) -> CResult<()> {
        let fs = self.fs();
        let gt = fs.gotos[g];
        debug_assert!(gt.name == lb.name);
        if gt.nactvar < lb.nactvar {
            let var = fs.f.loc_vars[fs.actvar[gt.nactvar as usize].idx].name.clone();
            let label = gt.name.map_or("break", |n| self.name_str(n));
            let msg = format!("<goto {label}> at line {} jumps into the scope of local '{var}'", gt.line);
            return Err(self.fs().error(&msg));
        }
        let fs = self.fs();
        fs.patch_list(gt.pc, lb.pc as usize);
        fs.gotos.remove(g);
        Ok(())
    }

    /// `goto Name` / `break` whose jump list is `pc`.
    fn goto_stat(&mut self, name: Option<Name>, line: u32, pc: i32) -> CResult<()> {
        let fs = self.fs();
        let nactvar = fs.nactvar;
        fs.gotos.push(LabelDesc { name, line, pc, nactvar });
        let g = fs.gotos.len() - 1;
        self.find_label(g)?;
        Ok(())
    }

    /// `label -> '::' Name '::'`, for the run of consecutive labels starting
    /// at `stats[i]` (PUC handles the following ones while skipping "no-op
    /// statements" after a label). Returns the index after the run.
    fn label_run(&mut self, b: &Block, i: usize, in_repeat: bool) -> CResult<usize> {
        let mut j = i;
        while let Some(Stat::Label { name, line }) = b.stats.get(j) {
            self.set_line(*line);
            let label = self.name_str(*name);
            let fs = self.fs();
            let bl = *fs.blocks.last().expect("no block");
            if let Some(prev) = fs.labels[bl.firstlabel..].iter().find(|l| l.name == Some(*name)) {
                let msg = format!("label '{label}' already defined on line {}", prev.line);
                return Err(fs.error(&msg));
            }
            let fs = self.fs();
            // Unlike PUC 5.2, make the label a jump target so that a
            // following LOADNIL is not merged into one before the label
            // (a backward goto would then skip the nil assignment).
            let pc = fs.get_label() as i32;
            let nactvar = fs.nactvar;
            fs.labels.push(LabelDesc { name: Some(*name), line: *line, pc, nactvar });
            j += 1;
        }
        let first = self.fs().labels.len() - (j - i);
        // A label followed only by void statements up to the end of the block
        // is outside the scope of the block's locals (not before `until`).
        if j == b.stats.len() && b.ret.is_none() && !in_repeat {
            let fs = self.fs();
            let n = fs.blocks.last().expect("no block").nactvar;
            for l in &mut fs.labels[first..] {
                l.nactvar = n;
            }
        }
        // Errors are reported at the token after the labels.
        let next_line = b.stats.get(j).map_or(b.end_line, stat_line);
        let next_line = if next_line == 0 { self.fs().line } else { next_line };
        for l in (first..self.fs().labels.len()).rev() {
            self.find_gotos(l).map_err(|mut e| {
                e.line = next_line;
                e
            })?;
        }
        Ok(j)
    }

    // ------------------------------------------------------------------
    // Statements
    // ------------------------------------------------------------------

    /// `block -> statlist` in a new scope.
    fn block(&mut self, b: &Block) -> CResult<()> {
        self.enter_block(false);
        self.statlist(b, 0, false)?;
        self.leave_block()
    }

    /// `statlist -> { stat [';'] } [retstat]`, from statement `from`.
    fn statlist(&mut self, b: &Block, from: usize, in_repeat: bool) -> CResult<()> {
        let mut i = from;
        while i < b.stats.len() {
            if let Stat::Label { .. } = b.stats[i] {
                i = self.label_run(b, i, in_repeat)?;
            } else {
                self.next_stat_line = match b.stats.get(i + 1) {
                    Some(s) => stat_line(s),
                    None => b.ret.as_ref().map_or(b.end_line, |r| r.line),
                };
                self.statement(&b.stats[i])?;
                i += 1;
            }
            self.end_statement()?;
        }
        if let Some(r) = &b.ret {
            self.ret_stat(r)?;
            self.end_statement()?;
        }
        Ok(())
    }

    fn end_statement(&mut self) -> CResult<()> {
        let fs = self.fs();
        if let Some(e) = fs.pending_error.take() {
            return Err(e);
        }
        debug_assert!(fs.f.max_stack_size as u32 >= fs.freereg && fs.freereg >= fs.nactvar);
        fs.freereg = fs.nactvar;
        Ok(())
    }

    fn statement(&mut self, s: &Stat) -> CResult<()> {
        // An assignment's line is where its stores happen; `goto`/`break`
        // emit their jump before their keyword is consumed.
        if !matches!(s, Stat::Assign { .. } | Stat::Goto { .. } | Stat::Break { .. }) {
            let line = stat_line(s);
            self.set_line(line);
        }
        match s {
            Stat::Call(e) => {
                let v = self.expr(e)?;
                match v.k {
                    ExpKind::Call(pc) => self.fs().f.code[pc].set_c(1),
                    _ => unreachable!("call statement without a call"),
                }
                Ok(())
            }
            Stat::Assign { targets, exprs, line } => self.assignment(targets, exprs, *line),
            Stat::Local { names, exprs, .. } => self.local_stat(names, exprs),
            Stat::LocalFunction { name, func, .. } => {
                self.new_localvar(Sym::Name(*name), self.name_str(*name), Some("("))?;
                self.adjust_localvars(1);
                let b = self.body(func, self.next_stat_line)?;
                // Debug information sees the variable only after the closure.
                let fs = self.fs();
                let idx = fs.actvar[b.reg() as usize].idx;
                fs.f.loc_vars[idx].start_pc = fs.pc() as u32;
                Ok(())
            }
            Stat::Function { path, func, line, .. } => self.func_stat(path, func, *line),
            Stat::Do(b) => self.block(b),
            Stat::While { cond, body, .. } => self.while_stat(cond, body),
            Stat::Repeat { body, cond, .. } => self.repeat_stat(body, cond),
            Stat::If { arms, orelse, .. } => self.if_stat(arms, orelse.as_ref()),
            Stat::NumericFor { var, start, limit, step, body, line } => self.numeric_for(*var, start, limit, step.as_ref(), body, *line),
            Stat::GenericFor { names, exprs, body, exprs_line, .. } => self.generic_for(names, exprs, body, *exprs_line),
            Stat::Break { line } => {
                let j = self.fs().jump();
                self.set_line(*line);
                self.goto_stat(None, *line, j)
            }
            Stat::Goto { label, line } => {
                let j = self.fs().jump();
                self.set_line(*line);
                self.goto_stat(Some(*label), *line, j)
            }
            Stat::Label { .. } => unreachable!("labels are handled by statlist"),
        }?;
        // A statement closed by `end` has consumed that token.
        let end = match s {
            Stat::Do(b) | Stat::While { body: b, .. } => b.end_line,
            Stat::NumericFor { body, .. } | Stat::GenericFor { body, .. } => body.end_line,
            Stat::If { arms, orelse, .. } => orelse.as_ref().or(arms.last().map(|a| &a.1)).map_or(0, |b| b.end_line),
            _ => 0,
        };
        self.set_line(end);
        Ok(())
    }

    /// `retstat -> RETURN [explist] [';']`
    fn ret_stat(&mut self, r: &ast::Return) -> CResult<()> {
        self.set_line(r.line);
        let (first, nret) = if r.exprs.is_empty() {
            (0, 0)
        } else {
            let (n, mut e) = self.explist(&r.exprs)?;
            let fs = self.fs();
            if e.has_multret() {
                fs.set_multret(&mut e)?;
                if let (ExpKind::Call(pc), 1) = (e.k, n) {
                    fs.set_opcode(pc, OpCode::TailCall);
                    debug_assert_eq!(fs.f.code[pc].a(), fs.nactvar);
                }
                (fs.nactvar, MULTRET)
            } else if n == 1 {
                (fs.exp2anyreg(&mut e)?, 1)
            } else {
                fs.exp2nextreg(&mut e)?;
                debug_assert_eq!(n as u32, fs.freereg - fs.nactvar);
                (fs.nactvar, n as i32)
            }
        };
        self.fs().ret(first, nret);
        Ok(())
    }

    /// Adjust the values of an expression list (`nexps` values, the last one
    /// being `e`) to `nvars` values in consecutive registers.
    fn adjust_assign(&mut self, nvars: usize, nexps: usize, e: &mut ExpDesc) -> CResult<()> {
        let fs = self.fs();
        let mut extra = nvars as i64 - nexps as i64;
        if e.has_multret() {
            extra += 1;
            if extra < 0 {
                extra = 0;
            }
            fs.set_returns(e, extra as i32)?;
            if extra > 1 {
                fs.reserve_regs(extra as u32 - 1)?;
            }
        } else {
            if e.k != ExpKind::Void {
                fs.exp2nextreg(e)?;
            }
            if extra > 0 {
                let reg = fs.freereg;
                fs.reserve_regs(extra as u32)?;
                fs.nil(reg, extra as u32);
            }
        }
        Ok(())
    }

    /// `stat -> LOCAL NAME {',' NAME} ['=' explist]`
    fn local_stat(&mut self, names: &[Name], exprs: &[ast::Expr]) -> CResult<()> {
        for (i, &n) in names.iter().enumerate() {
            let near = if i + 1 < names.len() {
                Some(",")
            } else if !exprs.is_empty() {
                Some("=")
            } else {
                None // the next statement's first token
            };
            self.new_localvar(Sym::Name(n), self.name_str(n), near)?;
        }
        let (nexps, mut e) = if exprs.is_empty() { (0, ExpDesc::new(ExpKind::Void)) } else { self.explist(exprs)? };
        self.adjust_assign(names.len(), nexps, &mut e)?;
        self.adjust_localvars(names.len() as u32);
        Ok(())
    }

    /// `funcstat -> FUNCTION funcname body`, `funcname -> Name {'.' Name} [':' Name]`
    fn func_stat(&mut self, path: &[Name], func: &FuncBody, line: u32) -> CResult<()> {
        let mut v = self.single_var(Sym::Name(path[0]))?;
        for &field in &path[1..] {
            let key = self.name_str(field).as_bytes();
            let fs = self.fs();
            fs.exp2anyregup(&mut v)?;
            let k = fs.string_k(key)?;
            fs.indexed(&mut v, &mut ExpDesc::new(ExpKind::K(k)))?;
        }
        let mut b = self.body(func, self.next_stat_line)?;
        let fs = self.fs();
        fs.store_var(&v, &mut b)?;
        // The definition "happens" on the line of `function`.
        fs.fix_line(line);
        Ok(())
    }

    /// `assignment -> suffixedexp {',' suffixedexp} '=' explist`
    fn assignment(&mut self, targets: &[ast::Expr], exprs: &[ast::Expr], line: u32) -> CResult<()> {
        let mut lhs: Vec<ExpDesc> = Vec::with_capacity(targets.len());
        for t in targets {
            let v = self.expr(t)?;
            debug_assert!(matches!(v.k, ExpKind::Local(_) | ExpKind::Upval(_) | ExpKind::Indexed { .. }));
            if !lhs.is_empty() && !matches!(v.k, ExpKind::Indexed { .. }) {
                self.check_conflict(&mut lhs, &v)?;
            }
            lhs.push(v);
        }
        let nvars = lhs.len();
        let (nexps, mut e) = self.explist(exprs)?;
        self.set_line(line);
        let mut rest = &lhs[..];
        if nexps != nvars {
            self.adjust_assign(nvars, nexps, &mut e)?;
            if nexps > nvars {
                self.fs().freereg -= (nexps - nvars) as u32;
            }
        } else {
            let fs = self.fs();
            fs.set_one_ret(&mut e);
            fs.store_var(&lhs[nvars - 1], &mut e)?;
            rest = &lhs[..nvars - 1];
        }
        // The remaining targets take the values left in registers, last first.
        for v in rest.iter().rev() {
            let fs = self.fs();
            let mut e = ExpDesc::new(ExpKind::NonReloc(fs.freereg - 1));
            fs.store_var(v, &mut e)?;
        }
        Ok(())
    }

    /// When a local/upvalue about to be assigned is used as table or index
    /// by an earlier target (`a, a[i] = ...`), make those targets use a copy.
    fn check_conflict(&mut self, lhs: &mut [ExpDesc], v: &ExpDesc) -> CResult<()> {
        let fs = self.fs();
        let extra = fs.freereg;
        let mut conflict = false;
        for l in lhs.iter_mut() {
            if let ExpKind::Indexed { t, idx, t_upval } = &mut l.k {
                let same_table = match v.k {
                    ExpKind::Upval(u) => *t_upval && *t == u,
                    ExpKind::Local(r) => !*t_upval && *t == r,
                    _ => false,
                };
                if same_table {
                    conflict = true;
                    *t_upval = false;
                    *t = extra;
                }
                if let ExpKind::Local(r) = v.k {
                    if *idx == r {
                        conflict = true;
                        *idx = extra;
                    }
                }
            }
        }
        if conflict {
            match v.k {
                ExpKind::Local(r) => fs.code_abc(OpCode::Move, extra, r, 0),
                ExpKind::Upval(u) => fs.code_abc(OpCode::GetUpval, extra, u, 0),
                _ => unreachable!(),
            };
            fs.reserve_regs(1)?;
        }
        Ok(())
    }

    /// `cond -> exp`: jumps out (returned list) when false.
    fn cond(&mut self, e: &ast::Expr) -> CResult<i32> {
        let mut v = self.expr(e)?;
        if v.k == ExpKind::Nil {
            v.k = ExpKind::False; // `falses` are all equal here
        }
        self.fs().go_if_true(&mut v)?;
        Ok(v.f)
    }

    /// `whilestat -> WHILE cond DO block END`
    fn while_stat(&mut self, cond: &ast::Expr, body: &Block) -> CResult<()> {
        let whileinit = self.fs().get_label();
        let condexit = self.cond(cond)?;
        self.enter_block(true);
        self.block(body)?;
        let fs = self.fs();
        let j = fs.jump();
        fs.patch_list(j, whileinit);
        self.leave_block()?;
        self.fs().patch_to_here(condexit);
        Ok(())
    }

    /// `repeatstat -> REPEAT block UNTIL cond`
    fn repeat_stat(&mut self, body: &Block, cond: &ast::Expr) -> CResult<()> {
        let repeat_init = self.fs().get_label();
        self.enter_block(true); // loop block
        self.enter_block(false); // scope block
        self.statlist(body, 0, true)?;
        self.set_line(body.end_line);
        let condexit = self.cond(cond)?; // sees the scope's locals
        let fs = self.fs();
        let bl2 = *fs.blocks.last().expect("no block");
        if bl2.upval {
            fs.patch_close(condexit, bl2.nactvar);
        }
        self.leave_block()?;
        self.fs().patch_list(condexit, repeat_init);
        self.leave_block()
    }

    /// `test_then_block -> [IF | ELSEIF] cond THEN block`
    fn test_then_block(&mut self, cond: &ast::Expr, block: &Block, escape: &mut i32, more: bool) -> CResult<()> {
        let mut v = self.expr(cond)?;
        // the test that skips the block belongs to the `then` line
        self.set_line(block.start_line);
        let jf;
        let start;
        match block.stats.first() {
            Some(s @ (Stat::Goto { .. } | Stat::Break { .. })) => {
                // `if c then goto l end`: jump straight to the label when true.
                self.fs().go_if_false(&mut v)?;
                self.enter_block(false);
                let (name, line) = match s {
                    Stat::Goto { label, line } => (Some(*label), *line),
                    Stat::Break { line } => (None, *line),
                    _ => unreachable!(),
                };
                self.set_line(line);
                self.goto_stat(name, line, v.t)?;
                self.end_statement()?;
                let mut i = 1;
                if let Some(Stat::Label { .. }) = block.stats.get(1) {
                    i = self.label_run(block, 1, false)?;
                    self.end_statement()?;
                }
                if i == block.stats.len() && block.ret.is_none() {
                    // The goto is the whole block.
                    return self.leave_block();
                }
                jf = self.fs().jump();
                start = i;
            }
            _ => {
                self.fs().go_if_true(&mut v)?;
                self.enter_block(false);
                jf = v.f;
                start = 0;
            }
        }
        self.statlist(block, start, false)?;
        self.leave_block()?;
        let fs = self.fs();
        if more {
            let j = fs.jump();
            fs.concat(escape, j);
        }
        fs.patch_to_here(jf);
        Ok(())
    }

    /// `ifstat -> IF cond THEN block {ELSEIF cond THEN block} [ELSE block] END`
    fn if_stat(&mut self, arms: &[(ast::Expr, Block)], orelse: Option<&Block>) -> CResult<()> {
        let mut escape = NO_JUMP;
        for (i, (cond, block)) in arms.iter().enumerate() {
            let more = i + 1 < arms.len() || orelse.is_some();
            self.test_then_block(cond, block, &mut escape, more)?;
        }
        if let Some(b) = orelse {
            self.block(b)?;
        }
        self.fs().patch_to_here(escape);
        Ok(())
    }

    /// `exp1 -> exp` into the next register.
    fn exp1(&mut self, e: &ast::Expr) -> CResult<()> {
        let mut v = self.expr(e)?;
        self.fs().exp2nextreg(&mut v)
    }

    /// `forbody -> DO block`
    fn for_body(&mut self, base: u32, line: u32, nvars: u32, isnum: bool, body: &Block) -> CResult<()> {
        self.adjust_localvars(3); // control variables
        self.set_line(body.start_line); // the prep/jump belongs to the `do` line
        let fs = self.fs();
        let prep = if isnum { fs.code_asbx(OpCode::ForPrep, base, NO_JUMP) as i32 } else { fs.jump() };
        self.enter_block(false); // scope of the declared variables
        self.adjust_localvars(nvars);
        self.fs().reserve_regs(nvars)?;
        self.block(body)?;
        self.leave_block()?;
        let fs = self.fs();
        fs.patch_to_here(prep);
        let endfor = if isnum {
            fs.code_asbx(OpCode::ForLoop, base, NO_JUMP)
        } else {
            fs.code_abc(OpCode::TForCall, base, 0, nvars);
            fs.fix_line(line);
            fs.code_asbx(OpCode::TForLoop, base + 2, NO_JUMP)
        };
        fs.patch_list(endfor as i32, prep as usize + 1);
        fs.fix_line(line);
        Ok(())
    }

    /// `fornum -> NAME = exp1,exp1[,exp1] forbody`
    fn numeric_for(
        &mut self,
        var: Name,
        start: &ast::Expr,
        limit: &ast::Expr,
        step: Option<&ast::Expr>,
        body: &Block,
        line: u32,
    ) -> CResult<()> {
        self.enter_block(true); // loop block: control variables, `break` target
        let base = self.fs().freereg;
        let near = Some("=");
        self.new_localvar(Sym::Hidden, "(for index)", near)?;
        self.new_localvar(Sym::Hidden, "(for limit)", near)?;
        self.new_localvar(Sym::Hidden, "(for step)", near)?;
        self.new_localvar(Sym::Name(var), self.name_str(var), near)?;
        self.exp1(start)?;
        self.exp1(limit)?;
        match step {
            Some(s) => self.exp1(s)?,
            None => {
                let fs = self.fs();
                let k = fs.number_k(1.0)?;
                fs.code_k(fs.freereg, k);
                fs.reserve_regs(1)?;
            }
        }
        self.for_body(base, line, 1, true, body)?;
        self.leave_block()
    }

    /// `forlist -> NAME {,NAME} IN explist forbody`
    fn generic_for(&mut self, names: &[Name], exprs: &[ast::Expr], body: &Block, line: u32) -> CResult<()> {
        self.enter_block(true);
        let base = self.fs().freereg;
        let near = |i: usize| Some(if i + 1 < names.len() { "," } else { "in" });
        self.new_localvar(Sym::Hidden, "(for generator)", near(0))?;
        self.new_localvar(Sym::Hidden, "(for state)", near(0))?;
        self.new_localvar(Sym::Hidden, "(for control)", near(0))?;
        for (i, &n) in names.iter().enumerate() {
            self.new_localvar(Sym::Name(n), self.name_str(n), near(i))?;
        }
        let (nexps, mut e) = self.explist(exprs)?;
        self.adjust_assign(3, nexps, &mut e)?;
        self.fs().check_stack(3)?; // room to call the generator
                                   // `line`: where the explist starts (the line of the token after `in`)
        self.for_body(base, line, names.len() as u32, false, body)?;
        self.leave_block()
    }
}

/// The line a statement starts on, as far as the AST knows (0: unknown).
fn stat_line(s: &Stat) -> u32 {
    match s {
        Stat::Call(e) => expr::expr_line(e),
        Stat::Assign { line, .. }
        | Stat::Local { line, .. }
        | Stat::LocalFunction { line, .. }
        | Stat::Function { line, .. }
        | Stat::While { line, .. }
        | Stat::Repeat { line, .. }
        | Stat::If { line, .. }
        | Stat::NumericFor { line, .. }
        | Stat::GenericFor { line, .. }
        | Stat::Break { line }
        | Stat::Goto { line, .. }
        | Stat::Label { line, .. } => *line,
        Stat::Do(b) => b.stats.first().map_or(0, stat_line),
    }
}
