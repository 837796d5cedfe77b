# kk_ext_d.cmake — cmocka test of the "ops wave D" kernels
# (codegen/kernels/ext_d.c), built with the host C compiler straight from the
# kernel source. Included by tests/codegen/CMakeLists.txt; ctest name kk_ext_d.
get_filename_component(KK_EXT_D_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
add_executable(test_kk_ext_d ${CMAKE_CURRENT_LIST_DIR}/test_kk_ext_d.c
  ${KK_EXT_D_ROOT}/codegen/kernels/ext_d.c)
target_include_directories(test_kk_ext_d PRIVATE
  ${KK_EXT_D_ROOT}/codegen/kernels ${KK_EXT_D_ROOT}/runtime ${CMOCKA_INCLUDE})
target_link_libraries(test_kk_ext_d ${CMOCKA_LIB} m)
add_test(NAME kk_ext_d COMMAND test_kk_ext_d)
