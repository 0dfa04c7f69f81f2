;; C[M,N] += A[M,K] · B[K,N], f32 in linear memory (byte offsets a, b, c). A and C row-major; B packed
;; in column panels of 8: panel p = columns [8p, 8p+8) is [K x 8] row-major at b + p*K*32, so the K loop
;; reads one contiguous stream.
;; C's rows are ldc floats apart (ldc >= N: a chunk of columns of a wider C).
;; Preconditions (the TypeScript wrapper pads to meet them): M % 4 == 0, N % 8 == 0.
;; The memory is imported: shared (the threads feature) when helper threads run row blocks of one product
;; on it, unshared otherwise; scripts/build-wasm.ts builds both variants from this file.
;; Register block: 4 rows x 8 columns = 8 f32x4 accumulators; j-panels outermost so the
;; [K x 8] slice of B stays in L1 while every 4-row block of A streams past it.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "gemm")
    (param $a i32) (param $b i32) (param $c i32) (param $M i32) (param $K i32) (param $N i32) (param $ldc i32)
    (local $i i32) (local $j i32) (local $k i32)
    (local $rowA i32) (local $rowC i32) (local $pb i32) (local $pa i32) (local $pc i32)
    (local $strideA i32) (local $strideB i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128)
    (local.set $strideA (i32.shl (local.get $K) (i32.const 2)))
    (local.set $strideB (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $j (i32.const 0))
    (block $doneJ
      (loop $loopJ
        (br_if $doneJ (i32.ge_u (local.get $j) (local.get $N)))
        (local.set $i (i32.const 0))
        (block $doneI
          (loop $loopI
            (br_if $doneI (i32.ge_u (local.get $i) (local.get $M)))
            ;; pc = c + (i*ldc + j)*4
            (local.set $pc (i32.add (local.get $c)
              (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $j)) (i32.const 2))))
            (local.set $c00 (v128.load (local.get $pc)))
            (local.set $c01 (v128.load offset=16 (local.get $pc)))
            (local.set $rowC (i32.add (local.get $pc) (local.get $strideB)))
            (local.set $c10 (v128.load (local.get $rowC)))
            (local.set $c11 (v128.load offset=16 (local.get $rowC)))
            (local.set $rowC (i32.add (local.get $rowC) (local.get $strideB)))
            (local.set $c20 (v128.load (local.get $rowC)))
            (local.set $c21 (v128.load offset=16 (local.get $rowC)))
            (local.set $rowC (i32.add (local.get $rowC) (local.get $strideB)))
            (local.set $c30 (v128.load (local.get $rowC)))
            (local.set $c31 (v128.load offset=16 (local.get $rowC)))
            ;; pa = a + i*K*4 (row i of A); pb = b + j*K*4 (panel j/8 of B)
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $strideA))))
            (local.set $pb (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $strideA))))
            (local.set $k (i32.const 0))
            (block $doneK
              (loop $loopK
                (br_if $doneK (i32.ge_u (local.get $k) (local.get $K)))
                (local.set $b0 (v128.load (local.get $pb)))
                (local.set $b1 (v128.load offset=16 (local.get $pb)))
                (local.set $rowA (local.get $pa))
                (local.set $av (f32x4.splat (f32.load (local.get $rowA))))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
                (local.set $rowA (i32.add (local.get $rowA) (local.get $strideA)))
                (local.set $av (f32x4.splat (f32.load (local.get $rowA))))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
                (local.set $rowA (i32.add (local.get $rowA) (local.get $strideA)))
                (local.set $av (f32x4.splat (f32.load (local.get $rowA))))
                (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
                (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
                (local.set $rowA (i32.add (local.get $rowA) (local.get $strideA)))
                (local.set $av (f32x4.splat (f32.load (local.get $rowA))))
                (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
                (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
                (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
                (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $loopK)))
            (v128.store (local.get $pc) (local.get $c00))
            (v128.store offset=16 (local.get $pc) (local.get $c01))
            (local.set $rowC (i32.add (local.get $pc) (local.get $strideB)))
            (v128.store (local.get $rowC) (local.get $c10))
            (v128.store offset=16 (local.get $rowC) (local.get $c11))
            (local.set $rowC (i32.add (local.get $rowC) (local.get $strideB)))
            (v128.store (local.get $rowC) (local.get $c20))
            (v128.store offset=16 (local.get $rowC) (local.get $c21))
            (local.set $rowC (i32.add (local.get $rowC) (local.get $strideB)))
            (v128.store (local.get $rowC) (local.get $c30))
            (v128.store offset=16 (local.get $rowC) (local.get $c31))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $loopI)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $loopJ)))))
