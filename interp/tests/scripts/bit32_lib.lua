-- bit32 library
local function err(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return e
end

assert(bit32.band() == 0xFFFFFFFF and bit32.bor() == 0 and bit32.bxor() == 0)
assert(bit32.band(0xF0F0, 0xFF00) == 0xF000 and bit32.bor(1, 2, 4) == 7 and bit32.bxor(5, 3, 1) == 7)
assert(bit32.btest(1, 2) == false and bit32.btest(3, 2) == true and bit32.btest() == true)
assert(bit32.bnot(0) == 0xFFFFFFFF and bit32.bnot(-1) == 0)

-- conversion: modulo 2^32, rounding like PUC on x86
assert(bit32.band(-1) == 0xFFFFFFFF)
assert(bit32.band(2^32 + 1) == 1)
assert(bit32.band(1.5) == 2 and bit32.band(2.5) == 2)
assert(bit32.band(0/0) == 0 and bit32.band(1/0) == 0)
assert(bit32.band("0x10", 3) == 0)
assert(err(bit32.band, "x"):find("number expected, got string", 1, true))

-- shifts
assert(bit32.lshift(1, 31) == 0x80000000 and bit32.lshift(1, 32) == 0 and bit32.lshift(0xFF, 28) == 0xF0000000)
assert(bit32.lshift(1, -1) == 0 and bit32.lshift(2, -1) == 1)
assert(bit32.rshift(0xF0000000, 28) == 0xF and bit32.rshift(-1, -4) == 0xFFFFFFF0 and bit32.rshift(1, 32) == 0)
assert(bit32.lshift(1, 2^32 + 3) == 8) -- C int wrap of the displacement
assert(bit32.arshift(-8, 1) == 0xFFFFFFFC and bit32.arshift(-8, 40) == 0xFFFFFFFF)
assert(bit32.arshift(-8, -1) == 0xFFFFFFF0 and bit32.arshift(0x7FFFFFFF, 4) == 0x07FFFFFF)
assert(bit32.arshift(0x80000000, 31) == 0xFFFFFFFF)

-- rotations
assert(bit32.lrotate(1, -1) == 0x80000000 and bit32.rrotate(1, 33) == 0x80000000)
assert(bit32.lrotate(0x12345678, 8) == 0x34567812 and bit32.rrotate(0x12345678, -36) == 0x23456781)
assert(bit32.lrotate(5, 0) == 5 and bit32.lrotate(5, 32) == 5)

-- fields
assert(bit32.extract(0xDEADBEEF, 0, 32) == 0xDEADBEEF and bit32.extract(0xDEADBEEF, 8, 8) == 0xBE)
assert(bit32.extract(0xF0, 4) == 1)
assert(bit32.replace(0xFFFFFFFF, 0, 4, 8) == 0xFFFFF00F and bit32.replace(0, 0xFF, 28, 4) == 0xF0000000)
assert(bit32.replace(0, 1, 31) == 0x80000000)
assert(err(bit32.extract, 1, -1):find("field cannot be negative", 1, true))
assert(err(bit32.extract, 1, 1, 0):find("width must be positive", 1, true))
assert(err(bit32.extract, 1, 30, 3):find("trying to access non-existent bits", 1, true))
assert(err(bit32.replace, 1, 2, 31, 2):find("trying to access non-existent bits", 1, true))
assert(err(bit32.extract, 1):find("bad argument #2", 1, true))

print("OK")
