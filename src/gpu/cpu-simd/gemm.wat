;; C[M,N] += A[M,K] · B[K,N], f32 in linear memory (byte offsets a, b, c). A and C row-major; B packed
;; in column panels of 8: panel p = columns [8p, 8p+8) is [K x 8] row-major at b + p*K*32, so the K loop
;; reads one contiguous stream.
;; C's rows are ldc floats apart (ldc >= N: a chunk of columns of a wider C).
;; Preconditions (the TypeScript wrapper pads to meet them): M % 4 == 0, N % 8 == 0.
;; The memory is imported: shared (the threads feature) when helper threads run row blocks of one product
;; on it, unshared otherwise; scripts/build-wasm.ts builds both variants from this file.
;; Register block: 4 rows x 8 columns = 8 f32x4 accumulators; j-panels outermost so the
;; [K x 8] slice of B stays in L1 while every 4-row block of A streams past it. Each row of A has its own
;; pointer and A's values are broadcast straight from memory (v128.load32_splat): no address arithmetic
;; per row in the K loop (measured on one core at 128x384x1536: 42 -> 50 GFLOP/s; unrolling K or 6-row
;; blocks was slower: V8 spills with more than 8 accumulators live).
;; The module also holds the row kernels the CPU backend runs beside the products, on the same threads:
;; softmax_row (attention's masked softmax), gelu (exact GELU) and layernorm, f32 SIMD, with exp by
;; range reduction (Cephes expf polynomial, written out in each: this V8 does not inline wasm calls) and
;; erf by Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7).
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "gemm")
    (param $a i32) (param $b i32) (param $c i32) (param $M i32) (param $K i32) (param $N i32) (param $ldc i32)
    (local $i i32) (local $j i32) (local $k i32)
    (local $pb i32) (local $pc i32) (local $strideA i32) (local $strideC i32) (local $rowC i32)
    (local $pa0 i32) (local $pa1 i32) (local $pa2 i32) (local $pa3 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128)
    (local.set $strideA (i32.shl (local.get $K) (i32.const 2)))
    (local.set $strideC (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $j (i32.const 0))
    (block $doneJ (loop $loopJ
      (br_if $doneJ (i32.ge_u (local.get $j) (local.get $N)))
      (local.set $i (i32.const 0))
      (block $doneI (loop $loopI
        (br_if $doneI (i32.ge_u (local.get $i) (local.get $M)))
        (local.set $pc (i32.add (local.get $c)
          (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $j)) (i32.const 2))))
        (local.set $c00 (v128.load (local.get $pc))) (local.set $c01 (v128.load offset=16 (local.get $pc)))
        (local.set $rowC (i32.add (local.get $pc) (local.get $strideC)))
        (local.set $c10 (v128.load (local.get $rowC))) (local.set $c11 (v128.load offset=16 (local.get $rowC)))
        (local.set $rowC (i32.add (local.get $rowC) (local.get $strideC)))
        (local.set $c20 (v128.load (local.get $rowC))) (local.set $c21 (v128.load offset=16 (local.get $rowC)))
        (local.set $rowC (i32.add (local.get $rowC) (local.get $strideC)))
        (local.set $c30 (v128.load (local.get $rowC))) (local.set $c31 (v128.load offset=16 (local.get $rowC)))
        (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $strideA))))
        (local.set $pa1 (i32.add (local.get $pa0) (local.get $strideA)))
        (local.set $pa2 (i32.add (local.get $pa1) (local.get $strideA)))
        (local.set $pa3 (i32.add (local.get $pa2) (local.get $strideA)))
        (local.set $pb (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $strideA))))
        (local.set $k (i32.const 0))
        (block $doneK (loop $loopK
          (br_if $doneK (i32.ge_u (local.get $k) (local.get $K)))
          (local.set $b0 (v128.load offset=0 (local.get $pb))) (local.set $b1 (v128.load offset=16 (local.get $pb)))
          (local.set $av (v128.load32_splat offset=0 (local.get $pa0)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=0 (local.get $pa1)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=0 (local.get $pa2)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=0 (local.get $pa3)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $pa0 (i32.add (local.get $pa0) (i32.const 4)))
          (local.set $pa1 (i32.add (local.get $pa1) (i32.const 4)))
          (local.set $pa2 (i32.add (local.get $pa2) (i32.const 4)))
          (local.set $pa3 (i32.add (local.get $pa3) (i32.const 4)))
          (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $loopK)))
        (v128.store (local.get $pc) (local.get $c00)) (v128.store offset=16 (local.get $pc) (local.get $c01))
        (local.set $rowC (i32.add (local.get $pc) (local.get $strideC)))
        (v128.store (local.get $rowC) (local.get $c10)) (v128.store offset=16 (local.get $rowC) (local.get $c11))
        (local.set $rowC (i32.add (local.get $rowC) (local.get $strideC)))
        (v128.store (local.get $rowC) (local.get $c20)) (v128.store offset=16 (local.get $rowC) (local.get $c21))
        (local.set $rowC (i32.add (local.get $rowC) (local.get $strideC)))
        (v128.store (local.get $rowC) (local.get $c30)) (v128.store offset=16 (local.get $rowC) (local.get $c31))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $loopI)))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $loopJ))))

  ;; exp on lanes for tests (src and dst: 4 floats each)
  (func (export "exp4") (param $src i32) (param $dst i32) (local $e v128) (local $fx v128) (local $z v128) (local $y v128)
    (local.set $e (v128.load (local.get $src)))
      ;; $e = exp($e) (inlined: this V8 does not inline wasm calls): clamp to [-87.3, 88.7], $e = n ln2 + r,
      ;; Cephes expf's polynomial for exp(r), times 2^n built in the exponent bits
      (local.set $e (f32x4.pmin (f32x4.pmax (local.get $e) (v128.const f32x4 -87.33654 -87.33654 -87.33654 -87.33654)) (v128.const f32x4 88.72283 88.72283 88.72283 88.72283)))
      (local.set $fx (f32x4.nearest (f32x4.mul (local.get $e) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
      (local.set $e (f32x4.sub (local.get $e) (f32x4.mul (local.get $fx) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
      (local.set $e (f32x4.sub (local.get $e) (f32x4.mul (local.get $fx) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
      (local.set $z (f32x4.mul (local.get $e) (local.get $e)))
      (local.set $y (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $e)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
      (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $e)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
      (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $e)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
      (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $e)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
      (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $e)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
      (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $y) (local.get $z)) (local.get $e)) (v128.const f32x4 1 1 1 1)))
      (local.set $e (f32x4.mul (local.get $y) (i32x4.shl
        (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $fx)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
    (v128.store (local.get $dst) (local.get $e)))

  ;; In place on the f32 scores s[lo, hi) of one row: x = s*scale where the key is visible (mask[j] != 0),
  ;; p = exp(x - max) / sum over visible keys, 0 on hidden ones (and on all when none is visible).
  ;; Works in lanes of 4 from lo & ~3 up to hi rounded up to 4 (lanes outside [lo, hi) are written 0): the row
  ;; and the mask must be readable that far.
  (func (export "softmax_row")
    (param $row i32) (param $mask i32) (param $lo i32) (param $hi i32) (param $scale f32)
    (local $j i32) (local $p i32) (local $ok v128) (local $jv v128) (local $x v128) (local $m v128) (local $sum v128)
    (local $lov v128) (local $hiv v128) (local $sc v128) (local $mx f32) (local $inv v128) (local $e v128) (local $fx v128) (local $z v128) (local $y v128)
    (local.set $lov (i32x4.splat (local.get $lo)))
    (local.set $hiv (i32x4.splat (local.get $hi)))
    (local.set $sc (f32x4.splat (local.get $scale)))
    (local.set $m (v128.const f32x4 -inf -inf -inf -inf))
    ;; pass 1: scale, and the maximum over visible keys
    (local.set $j (i32.and (local.get $lo) (i32.const -4)))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_s (local.get $j) (local.get $hi)))
      (local.set $p (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $x (f32x4.mul (v128.load (local.get $p)) (local.get $sc)))
      (v128.store (local.get $p) (local.get $x))
      ;; lanes j..j+3 in [lo, hi) whose key is visible (mask != 0): all bits set, else 0
      (local.set $jv (i32x4.add (i32x4.splat (local.get $j)) (v128.const i32x4 0 1 2 3)))
      (local.set $ok (v128.and
        (v128.and (i32x4.ge_s (local.get $jv) (local.get $lov)) (i32x4.lt_s (local.get $jv) (local.get $hiv)))
        (f32x4.ne (v128.load (i32.add (local.get $mask) (i32.shl (local.get $j) (i32.const 2))))
          (v128.const f32x4 0 0 0 0))))
      (local.set $m (f32x4.pmax (local.get $m)
        (v128.bitselect (local.get $x) (v128.const f32x4 -inf -inf -inf -inf) (local.get $ok))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l1)))
    (local.set $mx (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
      (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
    (local.set $m (f32x4.splat (local.get $mx)))
    ;; pass 2: p = exp(x - max) on visible keys, 0 elsewhere (all 0 when no key is visible)
    (local.set $sum (v128.const f32x4 0 0 0 0))
    (local.set $j (i32.and (local.get $lo) (i32.const -4)))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_s (local.get $j) (local.get $hi)))
      (local.set $p (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
      ;; lanes j..j+3 in [lo, hi) whose key is visible (mask != 0): all bits set, else 0
      (local.set $jv (i32x4.add (i32x4.splat (local.get $j)) (v128.const i32x4 0 1 2 3)))
      (local.set $ok (v128.and
        (v128.and (i32x4.ge_s (local.get $jv) (local.get $lov)) (i32x4.lt_s (local.get $jv) (local.get $hiv)))
        (f32x4.ne (v128.load (i32.add (local.get $mask) (i32.shl (local.get $j) (i32.const 2))))
          (v128.const f32x4 0 0 0 0))))
      (if (f32.eq (local.get $mx) (f32.const -inf)) (then (local.set $ok (v128.const i32x4 0 0 0 0))))
      (local.set $e (f32x4.sub (v128.load (local.get $p)) (local.get $m)))
      ;; $e = exp($e) (inlined: this V8 does not inline wasm calls): clamp to [-87.3, 88.7], $e = n ln2 + r,
      ;; Cephes expf's polynomial for exp(r), times 2^n built in the exponent bits
      (local.set $e (f32x4.pmin (f32x4.pmax (local.get $e) (v128.const f32x4 -87.33654 -87.33654 -87.33654 -87.33654)) (v128.const f32x4 88.72283 88.72283 88.72283 88.72283)))
      (local.set $fx (f32x4.nearest (f32x4.mul (local.get $e) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
      (local.set $e (f32x4.sub (local.get $e) (f32x4.mul (local.get $fx) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
      (local.set $e (f32x4.sub (local.get $e) (f32x4.mul (local.get $fx) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
      (local.set $z (f32x4.mul (local.get $e) (local.get $e)))
      (local.set $y (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $e)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
      (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $e)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
      (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $e)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
      (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $e)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
      (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $e)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
      (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $y) (local.get $z)) (local.get $e)) (v128.const f32x4 1 1 1 1)))
      (local.set $e (f32x4.mul (local.get $y) (i32x4.shl
        (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $fx)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
      (local.set $x (v128.and (local.get $ok) (local.get $e)))
      (v128.store (local.get $p) (local.get $x))
      (local.set $sum (f32x4.add (local.get $sum) (local.get $x)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l2)))
    (if (f32.eq (local.get $mx) (f32.const -inf)) (then (return)))
    (local.set $inv (f32x4.splat (f32.div (f32.const 1) (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $sum)) (f32x4.extract_lane 1 (local.get $sum)))
      (f32.add (f32x4.extract_lane 2 (local.get $sum)) (f32x4.extract_lane 3 (local.get $sum)))))))
    ;; pass 3: normalise
    (local.set $j (i32.and (local.get $lo) (i32.const -4)))
    (block $d3 (loop $l3
      (br_if $d3 (i32.ge_s (local.get $j) (local.get $hi)))
      (local.set $p (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
      (v128.store (local.get $p) (f32x4.mul (v128.load (local.get $p)) (local.get $inv)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l3))))

  ;; In place on n floats from p (n rounded up to 4): GELU(v) = v/2 (1 + erf(v/sqrt 2)), with
  ;; q = erfc(|v|/sqrt 2) = t (a1 + t (a2 + ...)) exp(-x^2), t = 1/(1 + 0.3275911 x) (Abramowitz & Stegun
  ;; 7.1.26): v (1 - q/2) for v >= 0, v q/2 below (no cancellation on the negative side; GELU(+inf) = +inf).
  (func (export "gelu") (param $p i32) (param $n i32)
    (local $end i32) (local $v v128) (local $x v128) (local $t v128) (local $q v128) (local $h v128) (local $e v128) (local $fx v128) (local $z v128) (local $y v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $x (f32x4.mul (f32x4.abs (local.get $v)) (v128.const f32x4 0.70710678118654752 0.70710678118654752 0.70710678118654752 0.70710678118654752)))
      (local.set $t (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $x) (v128.const f32x4 0.3275911 0.3275911 0.3275911 0.3275911)))))
      (local.set $q (f32x4.add (f32x4.mul (v128.const f32x4 1.061405429 1.061405429 1.061405429 1.061405429) (local.get $t)) (v128.const f32x4 -1.453152027 -1.453152027 -1.453152027 -1.453152027)))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (v128.const f32x4 1.421413741 1.421413741 1.421413741 1.421413741)))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (v128.const f32x4 -0.284496736 -0.284496736 -0.284496736 -0.284496736)))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (v128.const f32x4 0.254829592 0.254829592 0.254829592 0.254829592)))
      (local.set $e (f32x4.neg (f32x4.mul (local.get $x) (local.get $x))))
      ;; $e = exp($e) (inlined: this V8 does not inline wasm calls): clamp to [-87.3, 88.7], $e = n ln2 + r,
      ;; Cephes expf's polynomial for exp(r), times 2^n built in the exponent bits
      (local.set $e (f32x4.pmin (f32x4.pmax (local.get $e) (v128.const f32x4 -87.33654 -87.33654 -87.33654 -87.33654)) (v128.const f32x4 88.72283 88.72283 88.72283 88.72283)))
      (local.set $fx (f32x4.nearest (f32x4.mul (local.get $e) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
      (local.set $e (f32x4.sub (local.get $e) (f32x4.mul (local.get $fx) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
      (local.set $e (f32x4.sub (local.get $e) (f32x4.mul (local.get $fx) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
      (local.set $z (f32x4.mul (local.get $e) (local.get $e)))
      (local.set $y (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $e)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
      (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $e)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
      (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $e)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
      (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $e)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
      (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $e)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
      (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $y) (local.get $z)) (local.get $e)) (v128.const f32x4 1 1 1 1)))
      (local.set $e (f32x4.mul (local.get $y) (i32x4.shl
        (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $fx)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
      (local.set $q (f32x4.mul (f32x4.mul (local.get $q) (local.get $t)) (local.get $e)))
      (local.set $h (f32x4.mul (local.get $q) (v128.const f32x4 0.5 0.5 0.5 0.5)))
      (v128.store (local.get $p) (f32x4.mul (local.get $v) (v128.bitselect
        (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $h)) (local.get $h)
        (f32x4.ge (local.get $v) (v128.const f32x4 0 0 0 0)))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $l))))

  ;; Layer norm of rows [r0, r1) of x [rows, dim] (dim % 4 == 0) into y, in f64 as the JS reference
  ;; (layerNormCpu): mean, variance, y = (x - mean) / sqrt(var + eps) * gamma + beta rounded once.
  (func (export "layernorm")
    (param $x i32) (param $g i32) (param $b i32) (param $y i32) (param $r0 i32) (param $r1 i32) (param $dim i32)
    (param $eps f64)
    (local $r i32) (local $i i32) (local $px i32) (local $py i32) (local $n i32) (local $v v128)
    (local $slo v128) (local $shi v128) (local $mean f64) (local $mv v128) (local $d v128) (local $var f64)
    (local $inv v128) (local $gv v128) (local $bv v128) (local $e v128)
    (local.set $n (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $r (local.get $r0))
    (block $dr (loop $lr
      (br_if $dr (i32.ge_u (local.get $r) (local.get $r1)))
      (local.set $px (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $n))))
      (local.set $py (i32.add (local.get $y) (i32.mul (local.get $r) (local.get $n))))
      ;; mean
      (local.set $slo (v128.const f64x2 0 0))
      (local.set $shi (v128.const f64x2 0 0))
      (local.set $i (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (v128.load (i32.add (local.get $px) (local.get $i))))
        (local.set $slo (f64x2.add (local.get $slo) (f64x2.promote_low_f32x4 (local.get $v))))
        (local.set $shi (f64x2.add (local.get $shi) (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $l1)))
      (local.set $slo (f64x2.add (local.get $slo) (local.get $shi)))
      (local.set $mean (f64.div
        (f64.add (f64x2.extract_lane 0 (local.get $slo)) (f64x2.extract_lane 1 (local.get $slo)))
        (f64.convert_i32_u (local.get $dim))))
      ;; variance
      (local.set $mv (f64x2.splat (local.get $mean)))
      (local.set $slo (v128.const f64x2 0 0))
      (local.set $shi (v128.const f64x2 0 0))
      (local.set $i (i32.const 0))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (v128.load (i32.add (local.get $px) (local.get $i))))
        (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mv)))
        (local.set $slo (f64x2.add (local.get $slo) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $d (f64x2.sub (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (local.get $mv)))
        (local.set $shi (f64x2.add (local.get $shi) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $l2)))
      (local.set $slo (f64x2.add (local.get $slo) (local.get $shi)))
      (local.set $var (f64.div
        (f64.add (f64x2.extract_lane 0 (local.get $slo)) (f64x2.extract_lane 1 (local.get $slo)))
        (f64.convert_i32_u (local.get $dim))))
      (local.set $inv (f64x2.splat (f64.div (f64.const 1) (f64.sqrt (f64.add (local.get $var) (local.get $eps))))))
      ;; y = (x - mean) * inv * gamma + beta in f64, rounded once (as the reference)
      (local.set $i (i32.const 0))
      (block $d3 (loop $l3
        (br_if $d3 (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (v128.load (i32.add (local.get $px) (local.get $i))))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $i))))
        (local.set $bv (v128.load (i32.add (local.get $b) (local.get $i))))
        (local.set $d (f64x2.add (f64x2.mul (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v))
          (local.get $mv)) (local.get $inv)) (f64x2.promote_low_f32x4 (local.get $gv)))
          (f64x2.promote_low_f32x4 (local.get $bv))))
        (local.set $v (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
        (local.set $gv (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $gv) (local.get $gv)))
        (local.set $bv (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $bv) (local.get $bv)))
        (local.set $e (f64x2.add (f64x2.mul (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v))
          (local.get $mv)) (local.get $inv)) (f64x2.promote_low_f32x4 (local.get $gv)))
          (f64x2.promote_low_f32x4 (local.get $bv))))
        (v128.store (i32.add (local.get $py) (local.get $i)) (i8x16.shuffle
          0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $d)) (f32x4.demote_f64x2_zero (local.get $e))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $l3)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $lr))))
)
