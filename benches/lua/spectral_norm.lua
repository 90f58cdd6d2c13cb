-- spectral_norm.lua: approximate the spectral norm of an infinite matrix
-- A(i,j) = 1/((i+j)(i+j+1)/2 + i + 1) with the power method.
-- Exercises: nested numeric loops, array reads/writes (GETTABLE/SETTABLE with
-- integer keys), float division, calls of small local functions.
-- Usage: lua spectral_norm.lua [n]   (default 700)

local n = tonumber(arg and arg[1]) or 700

local function a(i, j)
  local s = i + j
  return 1.0 / (s * (s + 1) * 0.5 + i + 1)
end

-- out = A * v (0-based indices in the formula, 1-based arrays)
local function mul_av(v, out, size)
  for i = 0, size - 1 do
    local sum = 0
    for j = 0, size - 1 do
      sum = sum + a(i, j) * v[j + 1]
    end
    out[i + 1] = sum
  end
end

-- out = transpose(A) * v
local function mul_atv(v, out, size)
  for i = 0, size - 1 do
    local sum = 0
    for j = 0, size - 1 do
      sum = sum + a(j, i) * v[j + 1]
    end
    out[i + 1] = sum
  end
end

local function mul_atav(v, out, tmp, size)
  mul_av(v, tmp, size)
  mul_atv(tmp, out, size)
end

local u, v, t = {}, {}, {}
for i = 1, n do u[i] = 1.0; v[i] = 0.0; t[i] = 0.0 end

for _ = 1, 10 do
  mul_atav(u, v, t, n)
  mul_atav(v, u, t, n)
end

local vbv, vv = 0, 0
for i = 1, n do
  local ui, vi = u[i], v[i]
  vbv = vbv + ui * vi
  vv = vv + vi * vi
end

print(string.format("spectral norm: %.9f", math.sqrt(vbv / vv)))
local s = 0
for i = 1, n do s = s + u[i] end
print(string.format("checksum: %.6f", s))
