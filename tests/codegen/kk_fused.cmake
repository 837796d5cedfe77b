# kk_fused.cmake — the fused activation + Dropout kernel against the unfused
# pair (kk_unary then kk_dropout), compiled natively. Needs kk_math.cmake's
# kk_math_hosttest.
add_executable(test_kk_fused ${CMAKE_CURRENT_LIST_DIR}/test_kk_fused.c
  ${CMAKE_SOURCE_DIR}/codegen/kernels/fused_dropout.c)
target_include_directories(test_kk_fused PRIVATE ${CMOCKA_INCLUDE})
target_compile_options(test_kk_fused PRIVATE -UNDEBUG)
target_link_libraries(test_kk_fused kk_math_hosttest ${CMOCKA_LIB} m)
add_test(NAME kk_fused_dropout COMMAND test_kk_fused)
