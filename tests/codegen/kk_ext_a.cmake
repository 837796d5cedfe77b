# kk_ext_a.cmake — cmocka test of the "ops wave A" kernels
# (codegen/kernels/ext_a.c), built with the host C compiler straight from the
# kernel source. Included by tests/codegen/CMakeLists.txt; ctest name kk_ext_a.
get_filename_component(KK_EXT_A_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
add_executable(test_kk_ext_a ${CMAKE_CURRENT_LIST_DIR}/test_kk_ext_a.c
  ${KK_EXT_A_ROOT}/codegen/kernels/ext_a.c)
target_include_directories(test_kk_ext_a PRIVATE
  ${KK_EXT_A_ROOT}/codegen/kernels ${KK_EXT_A_ROOT}/runtime ${CMOCKA_INCLUDE})
target_link_libraries(test_kk_ext_a ${CMOCKA_LIB} m)
add_test(NAME kk_ext_a COMMAND test_kk_ext_a)
