-- mandelbrot.lua: render the Mandelbrot set as a 1-bit N x N bitmap and
-- print a checksum of the packed bytes instead of the image itself.
-- Exercises: float arithmetic in tight loops, comparisons, loop control
-- (early exit), integer bookkeeping with % and *.
-- Usage: lua mandelbrot.lua [n]   (default 1000)

local n = tonumber(arg and arg[1]) or 1000
local MAXITER = 50

local hash = 0        -- rolling hash of the packed bytes, kept below 2^53
local MOD = 1000000007
local inside = 0      -- number of pixels in the set
local nbytes = 0

local function flush(byte)
  hash = (hash * 31 + byte) % MOD
  nbytes = nbytes + 1
end

local inv = 2.0 / n
for y = 0, n - 1 do
  local ci = y * inv - 1.0
  local byte, bits = 0, 0
  for x = 0, n - 1 do
    local cr = x * inv - 1.5
    local zr, zi, zr2, zi2 = 0.0, 0.0, 0.0, 0.0
    local escaped = false
    for _ = 1, MAXITER do
      zi = 2.0 * zr * zi + ci
      zr = zr2 - zi2 + cr
      zr2 = zr * zr
      zi2 = zi * zi
      if zr2 + zi2 > 4.0 then
        escaped = true
        break
      end
    end
    byte = byte * 2
    if not escaped then
      byte = byte + 1
      inside = inside + 1
    end
    bits = bits + 1
    if bits == 8 then
      flush(byte)
      byte, bits = 0, 0
    end
  end
  if bits > 0 then
    -- pad the last byte of the row on the right, as in PBM output
    while bits < 8 do byte = byte * 2; bits = bits + 1 end
    flush(byte)
  end
end

print(string.format("mandelbrot %dx%d: %d bytes, %d pixels inside", n, n, nbytes, inside))
print(string.format("checksum: %d", hash))
