# kk_nn.cmake — cmocka tests of the nn / data-movement kernels
# (codegen/kernels/nn_*.c), built with the host C compiler straight from the
# kernel sources. Included by tests/codegen/CMakeLists.txt; ctest names kk_nn_*.
get_filename_component(KK_NN_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
set(KK_NN_KERNELS ${KK_NN_ROOT}/codegen/kernels)
foreach(kk_nn_t gemm conv pool move)
  add_executable(test_kk_nn_${kk_nn_t}
    ${CMAKE_CURRENT_LIST_DIR}/test_kk_nn_${kk_nn_t}.c
    ${KK_NN_KERNELS}/nn_${kk_nn_t}.c)
  target_include_directories(test_kk_nn_${kk_nn_t} PRIVATE
    ${KK_NN_KERNELS} ${KK_NN_ROOT}/runtime ${CMOCKA_INCLUDE})
  target_link_libraries(test_kk_nn_${kk_nn_t} ${CMOCKA_LIB} m)
  add_test(NAME kk_nn_${kk_nn_t} COMMAND test_kk_nn_${kk_nn_t})
endforeach()
# the small-image convolution runs as a product through nn_gemm.c; the
# pointwise-depthwise pair (nn_pwdw.c) is checked against kk_conv_f32, and
# KilnConvPool (its pooling in nn_pool.c) against kk_conv_f32 and
# kk_maxpool_f32
target_sources(test_kk_nn_conv PRIVATE ${KK_NN_KERNELS}/nn_gemm.c ${KK_NN_KERNELS}/nn_pwdw.c
  ${KK_NN_KERNELS}/nn_pool.c)
